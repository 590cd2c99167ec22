#!/bin/sh
# Jamf Pro extension attribute (String): is this Mac actually reachable by its MDM? The
# mdm.channel verdict and its cause from the flat keys of mdmwatch's status.plist, e.g.
#   connected
#   degraded (server_errors)
#   disconnected (push_topic_not_registered)
# A smart group on "is not connected" finds the Macs the console calls enrolled that nothing
# reaches. "unknown" when the verdict is absent; "not installed" without the status file.
set -eu

plist="/Library/Application Support/mdmwatch/status.plist"

if [ ! -f "$plist" ]; then
	echo "<result>not installed</result>"
	exit 0
fi
verdict=$(/usr/bin/defaults read "$plist" MDMChannel 2>/dev/null || true)
cause=$(/usr/bin/defaults read "$plist" MDMChannelCause 2>/dev/null || true)
# No markup reaches Jamf's <result> parsing, and the value stays on one line.
out=$(printf '%s' "${verdict:-unknown}${cause:+ ($cause)}" | /usr/bin/tr '<>\n' '[] ')
echo "<result>$out</result>"
