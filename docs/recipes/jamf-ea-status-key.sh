#!/bin/sh
# Jamf Pro extension attribute (String): one key of mdmwatch's status.plist.
# Set KEY to any top-level key: MDMClientStuck, MDMSoftwareUpdatesStuck, MDMIdentityError,
# Problems, Healthy, Check_mdm.identity_Status, ...
set -eu

KEY="MDMClientStuck"
plist="/Library/Application Support/mdmwatch/status.plist"

if [ ! -f "$plist" ]; then
	echo "<result>not installed</result>"
	exit 0
fi
value=$(/usr/bin/defaults read "$plist" "$KEY" 2>/dev/null || true)
echo "<result>${value:-unknown}</result>"
