#!/bin/sh
# Jamf Pro extension attribute (String): can this Mac take each kind of update, and if not, the
# first reason. One line, e.g.
#   update 15.2 ready; upgrade 26.1 blocked: disk.free_space: 9.1 GB free, 25 GB needed; rsr ready; mdm_initiated 15.2 blocked: bootstrap_token: ...
# from the Readiness_<kind> keys of mdmwatch's status.plist: update, upgrade, rsr, mdm_initiated
# (an install the MDM starts), and ddm_target, which replaces mdm_initiated when a DDM
# enforcement declaration is active. A verdict is ready, blocked, unknown or not_offered
# (nothing of that kind pending). Smart groups: "like blocked", "like upgrade 26.1 ready".
set -eu

plist="/Library/Application Support/mdmwatch/status.plist"

if [ ! -f "$plist" ]; then
	echo "<result>not installed</result>"
	exit 0
fi
out=""
for kind in update upgrade rsr mdm_initiated ddm_target; do
	if value=$(/usr/bin/defaults read "$plist" "Readiness_$kind" 2>/dev/null); then
		out="${out:+$out; }$kind $value"
	fi
done
# The reasons can quote probe output and log text: no markup reaches Jamf's <result> parsing
# (angle brackets become brackets), and the line stays one line.
out=$(printf '%s' "$out" | /usr/bin/tr '<>\n' '[] ')
echo "<result>${out:-unknown}</result>"
