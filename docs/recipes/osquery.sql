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
