#!/usr/bin/env bash
# Installs the EMR activity reporter on an EMR cluster's primary node: the
# binary for this node's architecture, its settings and a cron entry that
# runs it every 5 minutes. Use it as a bootstrap action (runs on every node;
# it does nothing on core and task nodes) or as a step on a running cluster
# (steps run on the primary node) through script-runner.jar.
#
#   install.sh --binaries s3://BUCKET/PREFIX [--window MINUTES] [--checks LIST]
#              [--jupyterhub-token-file PATH] [--namespace NS] [--metric-name NAME]
#
# --binaries   S3 prefix holding emr-activity-reporter-x86_64 and/or
#              emr-activity-reporter-aarch64 (Graviton).
# --window     minutes of past activity that count as in use (default 10).
# --checks     comma-separated, default all:
#              ssh,yarn,presto,zeppelin,jupyterhub,busy-marker,steps
# --jupyterhub-token-file
#              file holding a JupyterHub API token allowed to list users and
#              servers (default /etc/emr-activity-reporter/jupyterhub-token).
# --namespace / --metric-name
#              only if the idle EMR terminator reads a different metric.
set -euo pipefail

binaries=""
window=""
checks=""
token_file=""
namespace=""
metric_name=""
while [ $# -gt 0 ]; do
  case "$1" in
    --binaries) binaries="${2:?--binaries needs a value}"; shift 2 ;;
    --window) window="${2:?--window needs a value}"; shift 2 ;;
    --checks) checks="${2:?--checks needs a value}"; shift 2 ;;
    --jupyterhub-token-file) token_file="${2:?--jupyterhub-token-file needs a value}"; shift 2 ;;
    --namespace) namespace="${2:?--namespace needs a value}"; shift 2 ;;
    --metric-name) metric_name="${2:?--metric-name needs a value}"; shift 2 ;;
    *) echo "install.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ -z "$binaries" ]; then
  echo "install.sh: --binaries s3://BUCKET/PREFIX is required" >&2
  exit 2
fi

# Bootstrap actions run on every node; only the primary node reports.
if ! grep -q '"isMaster": *true' /mnt/var/lib/info/instance.json 2>/dev/null; then
  echo "install.sh: not the primary node; nothing to install"
  exit 0
fi

arch="$(uname -m)"
case "$arch" in
  x86_64 | aarch64) ;;
  *) echo "install.sh: no emr-activity-reporter build for architecture $arch" >&2; exit 1 ;;
esac
binary="${binaries%/}/emr-activity-reporter-${arch}"
download="$(mktemp)"
trap 'rm -f "$download"' EXIT
aws s3 cp --only-show-errors "$binary" "$download"
sudo install -o root -g root -m 0755 "$download" /usr/local/bin/emr-activity-reporter

# Settings, read by the reporter from its environment.
settings="$(mktemp)"
{
  echo "# Written by emr-activity-reporter install.sh"
  # YARN, Presto and Zeppelin listen on the node's own address, not loopback.
  echo "SERVICE_HOST=$(hostname -f)"
  [ -n "$window" ] && echo "WINDOW_MINUTES=$window"
  [ -n "$checks" ] && echo "CHECKS=$checks"
  [ -n "$token_file" ] && echo "JUPYTERHUB_TOKEN_FILE=$token_file"
  [ -n "$namespace" ] && echo "METRIC_NAMESPACE=$namespace"
  [ -n "$metric_name" ] && echo "METRIC_NAME=$metric_name"
  true
} >"$settings"
sudo install -o root -g root -m 0644 "$settings" /etc/emr-activity-reporter.env
rm -f "$settings"

# Runs as hadoop, not root: it only reads, and calls AWS with the instance profile.
sudo install -o hadoop -g hadoop -m 0644 /dev/null /var/log/emr-activity-reporter.log
echo "*/5 * * * * hadoop /bin/sh -c 'set -a; . /etc/emr-activity-reporter.env; exec /usr/local/bin/emr-activity-reporter' >>/var/log/emr-activity-reporter.log 2>&1" |
  sudo tee /etc/cron.d/emr-activity-reporter >/dev/null
sudo chmod 0644 /etc/cron.d/emr-activity-reporter
printf '%s\n' '/var/log/emr-activity-reporter.log {' '  weekly' '  rotate 4' '  compress' '  missingok' '  copytruncate' '}' |
  sudo tee /etc/logrotate.d/emr-activity-reporter >/dev/null

echo "install.sh: emr-activity-reporter ($arch) installed; cron runs it every 5 minutes"
