#!/usr/bin/env bash
# One RabbitMQ user per Warren component, with least-privilege permissions
# scoped to one namespace (see docs/deploy.md, "RabbitMQ users").
#
#   scripts/rabbitmq-users.sh create NAMESPACE [VHOST]   # passwords from WARREN_GATEWAY_PASSWORD / WARREN_WORKER_PASSWORD
#   scripts/rabbitmq-users.sh delete NAMESPACE [VHOST]
#   scripts/rabbitmq-users.sh print  NAMESPACE           # just show the permission regexes
#
# Creates NAMESPACE-gateway and NAMESPACE-worker. Permissions are regexes over
# exchange and queue names (configure = declare/delete, write = publish/bind
# a queue, read = consume/bind to an exchange). Server-named exclusive queues
# (amq.gen-…) carry cancels and registry announcements; `amq.default` is the
# default exchange, which responses are published to.
set -euo pipefail

action=${1:-}
ns=${2:-}
vhost=${3:-/}
if [[ -z "$action" || -z "$ns" ]]; then
  sed -n '5,8p' "$0" >&2
  exit 2
fi
if [[ ! "$ns" =~ ^[a-z][a-z0-9_-]{0,40}$ ]]; then
  echo "namespace \"$ns\" must match ^[a-z][a-z0-9_-]{0,40}\$" >&2
  exit 2
fi
n="${ns}\\."  # the namespace prefix as a regex: "warren\."

# gateway: declares the requests/control/dead exchanges, the dead-letter queue,
# the per-session reply queues and the retained calls' queues and locks
# (call.*, call-lock.*); publishes requests and cancels; reads replies,
# retained calls, dead letters and the registry; declares the cancel stream
# and appends to it (through the default exchange). It never reads a request
# queue (a request queue's depth is a passive declare, which needs no permission).
gw_configure="^(${n}(requests|control|dead|registry|cancels|reply\\..+|call\\..+|call-lock\\..+)|amq\\.gen-.+)\$"
gw_write="^(${n}(requests|control|dead|reply\\..+)|amq\\.gen-.+|amq\\.default)\$"
gw_read="^(${n}(reply\\..+|call\\..+|dead|registry)|amq\\.gen-.+)\$"
# worker: declares and reads its request queues, binds them to the requests
# exchange, reads cancels, announces itself, answers through the default
# exchange; declares and reads the cancel stream (and appends its start-up
# marker through the default exchange). It cannot publish a request (no write
# on the requests exchange).
wk_configure="^(${n}(requests|control|dead|registry|cancels|req\\..+)|amq\\.gen-.+)\$"
wk_write="^(${n}(req\\..+|registry|dead)|amq\\.gen-.+|amq\\.default)\$"
wk_read="^(${n}(req\\..+|requests|control|cancels)|amq\\.gen-.+)\$"

case "$action" in
  print)
    printf 'gateway  configure %s\n         write     %s\n         read      %s\n' "$gw_configure" "$gw_write" "$gw_read"
    printf 'worker   configure %s\n         write     %s\n         read      %s\n' "$wk_configure" "$wk_write" "$wk_read"
    ;;
  create)
    : "${WARREN_GATEWAY_PASSWORD:?set WARREN_GATEWAY_PASSWORD}" "${WARREN_WORKER_PASSWORD:?set WARREN_WORKER_PASSWORD}"
    # Passwords go through stdin, never the process list.
    printf '%s' "$WARREN_GATEWAY_PASSWORD" | rabbitmqctl -q add_user "${ns}-gateway"
    printf '%s' "$WARREN_WORKER_PASSWORD" | rabbitmqctl -q add_user "${ns}-worker"
    rabbitmqctl -q set_permissions -p "$vhost" "${ns}-gateway" "$gw_configure" "$gw_write" "$gw_read"
    rabbitmqctl -q set_permissions -p "$vhost" "${ns}-worker" "$wk_configure" "$wk_write" "$wk_read"
    echo "created ${ns}-gateway and ${ns}-worker on vhost $vhost"
    ;;
  delete)
    rabbitmqctl -q delete_user "${ns}-gateway" || true
    rabbitmqctl -q delete_user "${ns}-worker" || true
    echo "deleted ${ns}-gateway and ${ns}-worker"
    ;;
  *)
    echo "unknown action \"$action\" (create, delete or print)" >&2
    exit 2
    ;;
esac
