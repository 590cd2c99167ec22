#!/bin/sh
# Jamf Pro extension attribute (String): one key of mdmwatch's status.plist.
# Set KEY to any top-level key: MDMClientStuck, MDMSoftwareUpdatesStuck, MDMIdentityError,
# Problems, Healthy, ReadinessSummary, Check_mdm.identity_Status, ...
# Prints the value; "none" for a key present but empty (Problems on a healthy Mac); "unknown"
# when the key is absent; "not installed" without mdmwatch's status file.
set -eu

KEY="MDMClientStuck"
plist="/Library/Application Support/mdmwatch/status.plist"

if [ ! -f "$plist" ]; then
	echo "<result>not installed</result>"
	exit 0
fi
if value=$(/usr/bin/defaults read "$plist" "$KEY" 2>/dev/null); then
	# Values can quote probe output and log text: no markup reaches Jamf's <result> parsing
	# (angle brackets become brackets), and the value stays on one line.
	value=$(printf '%s' "$value" | /usr/bin/tr '<>\n' '[] ')
	echo "<result>${value:-none}</result>"
else
	echo "<result>unknown</result>"
fi
