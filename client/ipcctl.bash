# bash completion for ipcctl(1).  Installed as
# $(BASHCOMPDIR)/ipcctl (/usr/share/bash-completion/completions/ipcctl).
#
# Nothing here repeats ipcctl's tables: the commands and each command's
# options come from `ipcctl -h`, the transports from the sender table
# (what `ipcctl submit --via=` says it expects), key names from the
# running ipcd (`ipcctl keys`, waiting at most one second).  So the
# candidates are those of the ipcctl being completed, whatever its
# version.  tests/t_completion.sh drives this file.

# The usage line of every command, one a line ("submit [--via=...] ...").
_ipcctl_usage()
{
	"$1" -h 2>/dev/null | sed -n '/^commands:$/,/^$/s/^  \([a-z]\)/\1/p'
}

# The transports of the sender table, from the error message that lists
# them: 'unknown transport "" (expected unix, fifo or mq)'.  On an empty
# configuration: the user's own may be missing or bad.
_ipcctl_transports()
{
	"$1" -c /dev/null submit --via= 2>&1 >/dev/null |
	    sed -n 's/.*(expected \(.*\))$/\1/p' | sed 's/,//g; s/ or / /' |
	    tr ' ' '\n'
}

# The options in a usage line: "--via=", "--wait", "-n".  (Its words
# are split by read, not by an unquoted expansion: "[--key=K]" is also a
# glob pattern.)
_ipcctl_options()
{
	local w
	local -a ws
	read -ra ws <<<"$1"
	for w in "${ws[@]}"; do
		w=${w#[}
		w=${w%]}
		case $w in
		--) ;;
		--*=*) printf '%s\n' "${w%%=*}=" ;;
		-?*) printf '%s\n' "$w" ;;
		esac
	done
}

# The values an option takes in a usage line ("--via=T|pipe|socketpair":
# pipe socketpair; an upper-case placeholder names none of its own).
_ipcctl_values()
{
	local w v
	local -a ws vs
	read -ra ws <<<"$2"
	for w in "${ws[@]}"; do
		w=${w#[}
		w=${w%]}
		case $w in
		"$1"=*)
			IFS='|' read -ra vs <<<"${w#*=}"
			for v in "${vs[@]}"; do
				case $v in
				*[A-Z]*) ;;
				*) printf '%s\n' "$v" ;;
				esac
			done
			;;
		esac
	done
}

# Key names from the running ipcd (the first column of "ipcctl keys"),
# starting with $3; nothing, at once or within a second, when there is
# none.  $1: the ipcctl, $2: the -c argument, if any.
_ipcctl_keys()
{
	local prog=$1 conf=$2 cur=$3
	case $cur in
	*[!A-Za-z0-9_.:-]*) return ;;
	esac
	"$prog" ${conf:+-c "$conf"} --timeout=1 keys "$cur*" 2>/dev/null |
	    cut -f 1
}

_ipcctl()
{
	local prog=${COMP_WORDS[0]} i t last raw
	local -a w=()

	# Put back together what readline split at '=' and ':' (in
	# COMP_WORDBREAKS): "--key=a:b" is one word here.
	last=
	for ((i = 0; i <= COMP_CWORD; i++)); do
		t=${COMP_WORDS[i]}
		if ((${#w[@]} > 1)) && [[ $t == [=:] || $last == [=:] ]]; then
			w[${#w[@]}-1]+=$t
		else
			w+=("$t")
		fi
		last=$t
	done
	local cur=${w[${#w[@]}-1]} prev=
	((${#w[@]} > 1)) && prev=${w[${#w[@]}-2]}
	raw=${COMP_WORDS[COMP_CWORD]}

	command -v "$prog" >/dev/null 2>&1 || prog=ipcctl
	COMPREPLY=()

	# The command, and the -c file, before it.
	local cmd= conf= n=$((${#w[@]} - 1))
	for ((i = 1; i < n; i++)); do
		case ${w[i]} in
		-c) ((i++)); conf=${w[i]} ;;
		-c*) conf=${w[i]#-c} ;;
		-t) ((i++)) ;;
		-*) ;;
		*) cmd=${w[i]}; break ;;
		esac
	done

	if [[ $prev == -c ]]; then
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		compopt -o filenames 2>/dev/null
		return 0
	fi
	if [[ $prev == -t || $prev == -n || $prev == --limit ]]; then
		return 0
	fi

	local usage line
	usage=$(_ipcctl_usage "$prog")
	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W '-c --json --timeout= -t -h --help
			    -V --version' -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$(printf '%s\n' "$usage" |
			    sed 's/ .*//')" -- "$cur")
		fi
	else
		[[ $cmd == +([a-z]) ]] &&
		    line=$(printf '%s\n' "$usage" | sed -n "s/^$cmd //p")
		case $cur in
		--*=*)
			local opt=${cur%%=*} val=${cur#*=} vals
			case $opt in
			--key)
				vals=$(_ipcctl_keys "$prog" "$conf" "$val") ;;
			--via)
				vals=$({ _ipcctl_transports "$prog"
				    _ipcctl_values "$opt" "$line"; } |
				    awk '!seen[$0]++') ;;
			*)
				vals=$(_ipcctl_values "$opt" "$line") ;;
			esac
			mapfile -t COMPREPLY < <(compgen -P "$opt=" -W "$vals" -- "$val")
			;;
		-*)
			mapfile -t COMPREPLY < <(compgen -W "$(_ipcctl_options "$line")" \
			    -- "$cur")
			;;
		*)
			[[ $cmd == keys ]] &&
			    mapfile -t COMPREPLY < <(compgen -W \
			    "$(_ipcctl_keys "$prog" "$conf" "$cur")" -- "$cur")
			;;
		esac
	fi

	# Readline replaces only what follows the last break character: drop
	# what comes before it from each candidate.
	if [[ $raw != "$cur" ]]; then
		local wb=${COMP_WORDBREAKS//[!=:]/} pre
		if [[ -n $wb ]]; then
			pre=${cur%"${cur##*[$wb]}"}
			COMPREPLY=("${COMPREPLY[@]#"$pre"}")
		fi
	fi
	# "--via=" waits for its value, not for a space.
	if ((${#COMPREPLY[@]} == 1)) && [[ ${COMPREPLY[0]} == *= ]]; then
		compopt -o nospace 2>/dev/null
	fi
	return 0
}
complete -F _ipcctl ipcctl
