# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_mdmwatch_global_optspecs
    string join \n json replay= config= v/verbose state= status-dir= dry-run catalog= sysroot= h/help V/version
end

function __fish_mdmwatch_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_mdmwatch_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_mdmwatch_using_subcommand
    set -l cmd (__fish_mdmwatch_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c mdmwatch -n "__fish_mdmwatch_needs_command" -l replay -d 'Run against a capture directory instead of the live system ("now" is its captured_at)' -r -F
complete -c mdmwatch -n "__fish_mdmwatch_needs_command" -l config -d 'Read settings from this plist (after managed preferences and /Library/Preferences)' -r -F
complete -c mdmwatch -n "__fish_mdmwatch_needs_command" -l state -d 'State file (default /Library/Application Support/mdmwatch/state.json)' -r -F
complete -c mdmwatch -n "__fish_mdmwatch_needs_command" -l status-dir -d 'Directory for status.json and status.plist written by `run` (default /Library/Application Support/mdmwatch); heal\'s state.json is found there too unless --state names it' -r -F
complete -c mdmwatch -n "__fish_mdmwatch_needs_command" -l catalog -d 'A GDMF (gdmf.apple.com/v2/pmv) or SOFA macOS feed JSON downloaded by the admin: lists newer releases for this Mac (finding softwareupdate.catalog). Never fetched from the network' -r -F
complete -c mdmwatch -n "__fish_mdmwatch_needs_command" -l sysroot -d 'Testing aid: resolve every absolute path (binaries, files) under DIR' -r -F
complete -c mdmwatch -n "__fish_mdmwatch_needs_command" -l json -d 'Print the report as one JSON document (the versioned contract) instead of text'
complete -c mdmwatch -n "__fish_mdmwatch_needs_command" -s v -l verbose -d 'Show each finding\'s evidence and remediation'
complete -c mdmwatch -n "__fish_mdmwatch_needs_command" -l dry-run -d 'Heal: decide and report, execute nothing, write no state'
complete -c mdmwatch -n "__fish_mdmwatch_needs_command" -s h -l help -d 'Print help'
complete -c mdmwatch -n "__fish_mdmwatch_needs_command" -s V -l version -d 'Print version'
complete -c mdmwatch -n "__fish_mdmwatch_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mdmwatch -n "__fish_mdmwatch_needs_command" -f -a "diagnose" -d 'Checks for known MDM and update problems and prints the results (also: -diagnose)'
complete -c mdmwatch -n "__fish_mdmwatch_needs_command" -f -a "heal" -d 'Checks, restarts stuck services safely (at most once per 24 h each), prints the results (also: -heal)'
complete -c mdmwatch -n "__fish_mdmwatch_needs_command" -f -a "capture" -d 'Records every probe\'s raw output into an empty directory, for --replay anywhere'
complete -c mdmwatch -n "__fish_mdmwatch_needs_command" -f -a "run" -d 'The LaunchDaemon entry point: diagnose, heal when enabled, write status files, log, exit'
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand help; and not __fish_seen_subcommand_from diagnose heal capture run help" -f -a "diagnose" -d 'Checks for known MDM and update problems and prints the results (also: -diagnose)'
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand help; and not __fish_seen_subcommand_from diagnose heal capture run help" -f -a "heal" -d 'Checks, restarts stuck services safely (at most once per 24 h each), prints the results (also: -heal)'
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand help; and not __fish_seen_subcommand_from diagnose heal capture run help" -f -a "capture" -d 'Records every probe\'s raw output into an empty directory, for --replay anywhere'
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand help; and not __fish_seen_subcommand_from diagnose heal capture run help" -f -a "run" -d 'The LaunchDaemon entry point: diagnose, heal when enabled, write status files, log, exit'
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand help; and not __fish_seen_subcommand_from diagnose heal capture run help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand diagnose" -l replay -d 'Run against a capture directory instead of the live system ("now" is its captured_at)' -r -F
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand diagnose" -l config -d 'Read settings from this plist (after managed preferences and /Library/Preferences)' -r -F
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand diagnose" -l state -d 'State file (default /Library/Application Support/mdmwatch/state.json)' -r -F
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand diagnose" -l status-dir -d 'Directory for status.json and status.plist written by `run` (default /Library/Application Support/mdmwatch); heal\'s state.json is found there too unless --state names it' -r -F
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand diagnose" -l catalog -d 'A GDMF (gdmf.apple.com/v2/pmv) or SOFA macOS feed JSON downloaded by the admin: lists newer releases for this Mac (finding softwareupdate.catalog). Never fetched from the network' -r -F
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand diagnose" -l sysroot -d 'Testing aid: resolve every absolute path (binaries, files) under DIR' -r -F
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand diagnose" -l json -d 'Print the report as one JSON document (the versioned contract) instead of text'
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand diagnose" -s v -l verbose -d 'Show each finding\'s evidence and remediation'
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand diagnose" -s h -l help -d 'Print help'
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand diagnose" -l dry-run -d 'Heal: decide and report, execute nothing, write no state'
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand heal" -l replay -d 'Run against a capture directory instead of the live system ("now" is its captured_at)' -r -F
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand heal" -l config -d 'Read settings from this plist (after managed preferences and /Library/Preferences)' -r -F
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand heal" -l state -d 'State file (default /Library/Application Support/mdmwatch/state.json)' -r -F
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand heal" -l status-dir -d 'Directory for status.json and status.plist written by `run` (default /Library/Application Support/mdmwatch); heal\'s state.json is found there too unless --state names it' -r -F
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand heal" -l sysroot -d 'Testing aid: resolve every absolute path (binaries, files) under DIR' -r -F
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand heal" -l catalog -d 'A GDMF (gdmf.apple.com/v2/pmv) or SOFA macOS feed JSON downloaded by the admin: lists newer releases for this Mac (finding softwareupdate.catalog). Never fetched from the network' -r -F
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand heal" -l json -d 'Print the report as one JSON document (the versioned contract) instead of text'
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand heal" -s v -l verbose -d 'Show each finding\'s evidence and remediation'
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand heal" -l dry-run -d 'Heal: decide and report, execute nothing, write no state'
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand heal" -s h -l help -d 'Print help'
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand capture" -l replay -d 'Run against a capture directory instead of the live system ("now" is its captured_at)' -r -F
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand capture" -l config -d 'Read settings from this plist (after managed preferences and /Library/Preferences)' -r -F
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand capture" -l sysroot -d 'Testing aid: resolve every absolute path (binaries, files) under DIR' -r -F
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand capture" -l state -d 'State file (default /Library/Application Support/mdmwatch/state.json)' -r -F
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand capture" -l status-dir -d 'Directory for status.json and status.plist written by `run` (default /Library/Application Support/mdmwatch); heal\'s state.json is found there too unless --state names it' -r -F
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand capture" -l catalog -d 'A GDMF (gdmf.apple.com/v2/pmv) or SOFA macOS feed JSON downloaded by the admin: lists newer releases for this Mac (finding softwareupdate.catalog). Never fetched from the network' -r -F
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand capture" -l redact -d 'Mask serial numbers, UDIDs, tokens and server host names (docs/PRIVACY.md); the same value always gets the same mask, so the capture still replays'
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand capture" -l force -d 'Capture even where it cannot work (not macOS): refused otherwise'
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand capture" -s h -l help -d 'Print help'
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand capture" -l json -d 'Print the report as one JSON document (the versioned contract) instead of text'
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand capture" -s v -l verbose -d 'Show each finding\'s evidence and remediation'
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand capture" -l dry-run -d 'Heal: decide and report, execute nothing, write no state'
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand run" -l replay -d 'Run against a capture directory instead of the live system ("now" is its captured_at)' -r -F
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand run" -l config -d 'Read settings from this plist (after managed preferences and /Library/Preferences)' -r -F
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand run" -l state -d 'State file (default /Library/Application Support/mdmwatch/state.json)' -r -F
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand run" -l status-dir -d 'Directory for status.json and status.plist written by `run` (default /Library/Application Support/mdmwatch); heal\'s state.json is found there too unless --state names it' -r -F
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand run" -l sysroot -d 'Testing aid: resolve every absolute path (binaries, files) under DIR' -r -F
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand run" -l catalog -d 'A GDMF (gdmf.apple.com/v2/pmv) or SOFA macOS feed JSON downloaded by the admin: lists newer releases for this Mac (finding softwareupdate.catalog). Never fetched from the network' -r -F
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand run" -l json -d 'Print the report as one JSON document (the versioned contract) instead of text'
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand run" -s v -l verbose -d 'Show each finding\'s evidence and remediation'
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand run" -l dry-run -d 'Heal: decide and report, execute nothing, write no state'
complete -c mdmwatch -n "__fish_mdmwatch_using_subcommand run" -s h -l help -d 'Print help'
