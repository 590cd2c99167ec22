-- mdmwatch status through osquery's plist table (run as root, e.g. osqueryd).

-- The Addigy keys and the overall result.
SELECT key, value FROM plist
WHERE path = '/Library/Application Support/mdmwatch/status.plist'
  AND key IN ('GeneratedAt', 'MDMEnrolled', 'MDMIdentityError', 'MDMClientStuck',
              'MDMSoftwareUpdatesStuck', 'Healthy', 'Problems');

-- Every check's status from the flat Check_<id>_Status keys.
SELECT substr(key, 7, length(key) - 13) AS check_id, value AS status
FROM plist
WHERE path = '/Library/Application Support/mdmwatch/status.plist'
  AND key LIKE 'Check\_%\_Status' ESCAPE '\';

-- Readiness per update kind: the verdict and the first reason (Readiness_update, ...).
SELECT substr(key, 11) AS kind, value AS readiness
FROM plist
WHERE path = '/Library/Application Support/mdmwatch/status.plist'
  AND key LIKE 'Readiness\_%' ESCAPE '\';

-- The overall answer: Healthy is 'true' only when every applicable check ran and none failed or
-- warned, 'unknown' when some could not be determined (UnknownCount, Unknowns), else 'false'.
SELECT key, value FROM plist
WHERE path = '/Library/Application Support/mdmwatch/status.plist'
  AND key IN ('Healthy', 'ExitCode', 'ProblemCount', 'UnknownCount', 'Unknowns',
              'NotApplicable', 'Verdict');

-- The MDM channel verdict: its status and summary, and the verdict and cause facts (cause is
-- absent when the channel is connected).
SELECT key, subkey, value FROM plist
WHERE path = '/Library/Application Support/mdmwatch/status.plist'
  AND (key IN ('Check_mdm.channel_Status', 'Check_mdm.channel_Summary')
       OR (key = 'Checks' AND subkey IN ('mdm.channel/Facts/verdict', 'mdm.channel/Facts/cause')));

-- The MDM channel verdict from the flat keys (stable from run to run): MDMChannel (connected,
-- degraded, disconnected, unknown), MDMChannelCause (empty when connected), MDMLastExchange.
SELECT key, value FROM plist
WHERE path = '/Library/Application Support/mdmwatch/status.plist'
  AND key IN ('MDMChannel', 'MDMChannelCause', 'MDMLastExchange');
