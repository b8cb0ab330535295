# What the tests and the bench scripts share for their configurations.
# Sourced by tests/lib.sh and the bench scripts.

# A free TCP port on loopback (the kernel's choice), for a listen address.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Can this machine listen on IPv6 loopback?
have_ipv6() {
	python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' \
	    2>/dev/null
}

# transports_off [KEEP...]: the "[SECTION] enabled = no" lines of every
# transport but the Unix socket and those named, for a configuration that
# wants one or two ways in alone.
transports_off() {
	for tr_off in fifo mq shm tcp sysv spool; do
		case " $* " in
		*" $tr_off "*) ;;
		*) printf '[%s]\nenabled = no\n' "$tr_off" ;;
		esac
	done
}
