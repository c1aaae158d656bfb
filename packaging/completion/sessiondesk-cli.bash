# bash completion for sessiondesk-cli                                  -*- shell-script -*-
# Installed as share/bash-completion/completions/sessiondesk-cli. The option and command lists
# must match `sessiondesk-cli --help` (the test tst_manpages checks); layout and connection
# names come from the program itself (--list-schemas, --list-profiles).

# Saved connection names matching $cur, quoted for the command line (names may hold spaces).
_sessiondesk_cli_profiles()
{
    local program=$1 name
    shift
    COMPREPLY=()
    while IFS= read -r name; do
        [[ $name == "$cur"* ]] && COMPREPLY+=("$(printf '%q' "$name")")
    done < <("$program" "$@" --list-profiles 2>/dev/null)
}

_sessiondesk_cli()
{
    local cur prev
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD - 1]}
    local program=${COMP_WORDS[0]}

    local options="--store --profile --settings --schema --schema-file --user-field --user-index --key-prefix
        --id-attribute --value-attribute --expires-attribute --user-attribute --tls-ca --tls-cert
        --tls-key --tls-server-name --tls-insecure --sentinel-user --sentinel-password
        --cluster-host-map --read-only --mask-field --no-mask-field --json --audit-log
        --audit-syslog --operator --reason --timeout --list-schemas --list-profiles --version
        --help --limit --user --reveal --dry-run --confirm --policy --scan --out --log --action
        --session --report --max-ops"
    local commands="info settings evidence policies users sessions show revoke logout-user
        destroy-all profile audit"
    local audit_commands="verify show"
    local profile_commands="list add remove set-password set-sentinel-password forget-password import-urls import-aws"

    # --settings given earlier on the line decides which saved connections exist.
    local settings=() i
    for ((i = 1; i < COMP_CWORD; i++)); do
        if [[ ${COMP_WORDS[i]} == --settings && $((i + 1)) -lt COMP_CWORD ]]; then
            settings=(--settings "${COMP_WORDS[i + 1]}")
        fi
    done

    case $prev in
        --schema)
            mapfile -t COMPREPLY < <(compgen -W "$("$program" --list-schemas 2>/dev/null)" -- "$cur")
            return
            ;;
        --profile)
            _sessiondesk_cli_profiles "$program" "${settings[@]}"
            return
            ;;
        --policy)
            mapfile -t COMPREPLY < <(compgen -W "$("$program" policies 2>/dev/null | awk 'NR > 1 {print $1}')" -- "$cur")
            mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -- "$cur")
            return
            ;;
        --action)
            mapfile -t COMPREPLY < <(compgen -W "revoke logout-user destroy-all reveal" -- "$cur")
            return
            ;;
        --tls-ca | --tls-cert | --tls-key | --audit-log | --settings | --out | --log | --report | --schema-file)
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            return
            ;;
        --store)
            mapfile -t COMPREPLY < <(compgen -W "redis:// rediss:// redis-sentinel:// rediss-sentinel://
                redis-cluster:// rediss-cluster:// dynamodb://" -- "$cur")
            compopt -o nospace 2>/dev/null
            return
            ;;
        --user-field | --user-index | --key-prefix | --id-attribute | --value-attribute | \
            --expires-attribute | --user-attribute | --tls-server-name | --timeout | --limit | \
            --user | --confirm | --mask-field | --no-mask-field | --sentinel-user | \
            --sentinel-password | --cluster-host-map | --operator | --reason | --session | --max-ops)
            return # a value the program cannot guess
            ;;
    esac

    # The command is the first word that is neither an option nor an option's value.
    local command="" subcommand="" word
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        case $word in
            --store | --profile | --settings | --schema | --schema-file | --user-field | \
                --user-index | --key-prefix | --id-attribute | --value-attribute | --expires-attribute | \
                --user-attribute | --tls-ca | --tls-cert | --tls-key | --tls-server-name | \
                --audit-log | --timeout | --limit | --user | --confirm | --mask-field | \
                --no-mask-field | --sentinel-user | --sentinel-password | --cluster-host-map | \
                --operator | --reason | --policy | --out | --log | --action | --session | --report | --max-ops)
                ((i++))
                ;;
            -*) ;;
            *)
                if [[ -z $command ]]; then
                    command=$word
                elif [[ -z $subcommand ]]; then
                    subcommand=$word
                fi
                ;;
        esac
    done

    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$options" -- "$cur")
        return
    fi
    if [[ -z $command ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur")
        return
    fi
    if [[ $command == audit && -z $subcommand ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$audit_commands" -- "$cur")
        return
    fi
    if [[ $command == profile ]]; then
        if [[ -z $subcommand ]]; then
            mapfile -t COMPREPLY < <(compgen -W "$profile_commands" -- "$cur")
        else
            case $subcommand in
                remove | set-password | set-sentinel-password | forget-password)
                    _sessiondesk_cli_profiles "$program" "${settings[@]}"
                    ;;
                import-urls)
                    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
                    ;;
            esac
        fi
    fi
}

complete -F _sessiondesk_cli sessiondesk-cli
