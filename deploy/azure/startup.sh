#!/bin/sh
# App Service (Linux) startup command for Signet deployed as a plain binary
# (zip deploy of signet, signet.yaml and this file to /home/site/wwwroot):
#   az webapp config set --startup-file "sh /home/site/wwwroot/startup.sh"
# A zip may lose the executable bit on the way, hence the chmod. exec:
# signet itself gets App Service's SIGTERM.
set -eu
cd "$(dirname "$0")"
[ -x ./signet ] || chmod 0755 ./signet
exec ./signet serve --config ./signet.yaml
