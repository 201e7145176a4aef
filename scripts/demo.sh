#!/usr/bin/env bash
# README command 1: set up, load the demo data (real wards, venues, safe spaces, police data)
# into an embedded SpatiaLite file, then run NTE Safe as a deployment does, on loopback only:
#   the web service   http://127.0.0.1:${PORT:-8000}
#   the scheduler     its own process; runs the jobs that are due at once (--run-due-now), so the
#                     demo's reminders (a DBS check and a venue renewal falling due) go out now
#   a mail catcher    the SMTP server the settings point at (NTE_SMTP_HOST/PORT, 127.0.0.1:1025);
#                     every mail is written to ${MAIL_DIR:-var/mail}/<time>-<subject>.eml
# Ctrl+C stops all three. NTE_DATABASE_URL, NTE_SMTP_PORT, PORT and MAIL_DIR move it elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh runtime
.venv/bin/python main.py demo
port="${PORT:-8000}"
# Links in mails and the calendar feed point at the demo's own address (production sets https).
export NTE_BASE_URL="${NTE_BASE_URL:-http://127.0.0.1:${port}}"
mkdir -p "${MAIL_DIR:-var/mail}"
mail_dir="$(cd "${MAIL_DIR:-var/mail}" && pwd)"

pids=()
stop() {
  trap - INT TERM EXIT
  echo
  echo "Stopping the web service, the scheduler and the mail catcher..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  # The scheduler lets a job in progress finish; give everything 15 s, then end what is left.
  for _ in $(seq 150); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

# The catcher first, so that the scheduler's first delivery finds it listening.
.venv/bin/python main.py mail-catcher --dir "$mail_dir" &
pids+=($!)
.venv/bin/python main.py scheduler --run-due-now &
pids+=($!)
.venv/bin/python main.py serve --host 127.0.0.1 --port "$port" &
pids+=($!)
echo "Serving NTE Safe at http://127.0.0.1:${port}; the mail it sends is in $mail_dir (Ctrl+C to stop)"
# Until Ctrl+C, or until one of the three stops on its own (then the others are stopped too).
wait -n "${pids[@]}" || true
