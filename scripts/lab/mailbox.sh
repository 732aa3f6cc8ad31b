#!/usr/bin/env bash
# The mail the shop sent, as LocalStack's SES recorded it (GET /_aws/ses): one line per mail,
# oldest first: time, recipient, subject. usage: mailbox.sh [list|show N|json]
#   list    (default) the summary
#   show N  mail number N of the list, as text
#   json    everything LocalStack holds, as JSON
set -euo pipefail
LAB_COMPONENT=mailbox
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

URL="http://127.0.0.1:$SHOP_LAB_LOCALSTACK_PORT/_aws/ses"
body=$(curl -fsS --max-time 10 "$URL" 2>/dev/null) || {
    # LocalStack answers 404 here until the first SES call after it starts.
    if curl -fsS --max-time 3 "http://127.0.0.1:$SHOP_LAB_LOCALSTACK_PORT/_localstack/health" >/dev/null 2>&1; then
        echo "no mail yet (LocalStack is up; place an order: docs/events.md)"
        exit 0
    fi
    lab_die "LocalStack is not running on port $SHOP_LAB_LOCALSTACK_PORT (make lab)"
}
verb=${1:-list}
case "$verb" in
    json) printf '%s\n' "$body" ;;
    list | show)
        MAILBOX_JSON=$body python3 - "$verb" "${2:-}" <<'PY'
import json, os, sys
verb, n = sys.argv[1], sys.argv[2]
mails = json.loads(os.environ["MAILBOX_JSON"]).get("messages", [])
mails.sort(key=lambda m: m.get("Timestamp", ""))
if verb == "list":
    if not mails:
        print("no mail yet")
    for i, m in enumerate(mails, 1):
        to = ", ".join(m.get("Destination", {}).get("ToAddresses", []))
        print(f"{i:4}  {m.get('Timestamp', '')[:19]}  {to:40}  {m.get('Subject', '')}")
    print(f"({len(mails)} mails; `make mails ARGS='show N'` prints one)")
else:
    m = mails[int(n) - 1]
    print("From:   ", m.get("Source"))
    print("To:     ", ", ".join(m.get("Destination", {}).get("ToAddresses", [])))
    print("Subject:", m.get("Subject"))
    print("Id:     ", m.get("Id"))
    print()
    print(m.get("Body", {}).get("text_part") or m.get("RawData", ""))
PY
        ;;
    *) echo "usage: $0 [list|show N|json]" >&2; exit 2 ;;
esac
