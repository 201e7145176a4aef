"""NTE Safe. ``python main.py serve`` runs the service, ``python main.py scheduler`` the jobs;
``python main.py --help`` lists every command."""

if __name__ == "__main__":
    # Imported here, not above: uvicorn's worker processes re-import this file (as ``__mp_main__``)
    # and need only the app (``nte.asgi``), not every command group.
    from nte.cli import main

    main()
