# transports_off [KEEP...]: the "[SECTION] enabled = no" lines of every
# transport but the Unix socket and those named, for a configuration that
# wants one or two ways in alone.  Sourced by tests/lib.sh and the bench
# scripts.
transports_off() {
	for tr_off in fifo mq shm tcp sysv spool; do
		case " $* " in
		*" $tr_off "*) ;;
		*) printf '[%s]\nenabled = no\n' "$tr_off" ;;
		esac
	done
}
