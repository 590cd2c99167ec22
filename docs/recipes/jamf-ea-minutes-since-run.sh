#!/bin/sh
# Jamf Pro extension attribute (Integer): minutes since mdmwatch last wrote its status.
# The LaunchDaemon runs every 95 minutes: alert (smart group) above about 200.
set -eu

plist="/Library/Application Support/mdmwatch/status.plist"

if [ ! -f "$plist" ]; then
	echo "<result></result>"
	exit 0
fi
now=$(/bin/date +%s)
mtime=$(/usr/bin/stat -f %m "$plist")
echo "<result>$(((now - mtime) / 60))</result>"
