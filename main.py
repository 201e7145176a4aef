"""NTE Safe. ``python main.py serve`` runs the service, ``python main.py scheduler`` the jobs;
``python main.py --help`` lists every command."""

from nte.cli import main

if __name__ == "__main__":
    main()
