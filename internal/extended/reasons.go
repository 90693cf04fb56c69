package extended

import (
	"path"
	"strings"
)

// Reason names and their risk scores. A row's risk_score is the highest
// score among its reasons. privileged keeps the ESCU detection's 49; the
// others are scored by how directly they let a container take over its node
// (see docs/extended.md for the reasoning behind each number).
const (
	ReasonPrivileged  = "privileged"
	ReasonHostPID     = "hostPID"
	ReasonHostIPC     = "hostIPC"
	ReasonHostNetwork = "hostNetwork"
	ReasonHostProcess = "hostProcess"
	ReasonRunAsRoot   = "runAsRoot"
	// ReasonHostPathPrefix is followed by the host path as written.
	ReasonHostPathPrefix = "hostPath:"
	// ReasonCapabilityPrefix is followed by the capability as written.
	ReasonCapabilityPrefix = "capability:"
)

// Risk scores of the fixed reasons.
const (
	ScorePrivileged  = 49 // every device and capability of the host: a node escape
	ScoreHostProcess = 49 // Windows HostProcess: the container runs as a host process
	ScoreHostPID     = 42 // see, signal and (with SYS_PTRACE) enter host processes
	ScoreHostNetwork = 35 // bind host ports, sniff node traffic, reach node-local services
	ScoreHostIPC     = 28 // read host shared memory and IPC
	// ScoreRunAsRoot is for a container explicitly run as root (runAsUser
	// 0 or runAsNonRoot false): not a node escape by itself, but it makes
	// every other escape (a writable hostPath, a kernel or runtime bug)
	// easier, and Pod Security restricted forbids it.
	ScoreRunAsRoot = 14
	// ScoreHostPathSensitive is for host paths that expose the node's
	// credentials, runtime socket, kernel interfaces or whole filesystem.
	ScoreHostPathSensitive = 45
	// ScoreHostPathOther is for any other host path (Pod Security baseline
	// forbids them all).
	ScoreHostPathOther = 21
	// ScoreCapabilityOther is for an added capability outside the baseline
	// set that is not in capabilityScores (e.g. NET_RAW).
	ScoreCapabilityOther = 14
	// ScoreCapabilitySpelling is for a baseline capability spelled in a way
	// Pod Security rejects (CAP_CHOWN, chown): runtimes grant the default
	// capability, so it is a policy violation, not an escalation.
	ScoreCapabilitySpelling = 7
)

// baselineCapabilities is the Pod Security baseline's allowed set for
// capabilities.add, compared exactly as the admission plugin does.
var baselineCapabilities = map[string]bool{
	"AUDIT_WRITE": true, "CHOWN": true, "DAC_OVERRIDE": true, "FOWNER": true,
	"FSETID": true, "KILL": true, "MKNOD": true, "NET_BIND_SERVICE": true,
	"SETFCAP": true, "SETGID": true, "SETPCAP": true, "SETUID": true, "SYS_CHROOT": true,
}

// capabilityScores rates the capabilities the peers call dangerous
// (Elastic, Panther, Falco's proposal), by normalised name.
var capabilityScores = map[string]int{
	"ALL":             45,
	"SYS_ADMIN":       45,
	"SYS_MODULE":      45,
	"SYS_RAWIO":       42,
	"SYS_PTRACE":      40,
	"DAC_READ_SEARCH": 40,
	"BPF":             40,
	"MAC_ADMIN":       35,
	"MAC_OVERRIDE":    35,
	"NET_ADMIN":       35,
	"PERFMON":         28,
	"SYS_BOOT":        28,
	"SYS_TIME":        21,
	"SYSLOG":          21,
}

// capabilityScore returns the score of an added capability, or 0 when Pod
// Security baseline allows it.
func capabilityScore(name string) int {
	if baselineCapabilities[name] {
		return 0
	}
	norm := strings.ToUpper(strings.TrimSpace(name))
	norm = strings.TrimPrefix(norm, "CAP_")
	if s, ok := capabilityScores[norm]; ok {
		return s
	}
	if baselineCapabilities[norm] {
		return ScoreCapabilitySpelling
	}
	return ScoreCapabilityOther
}

// sensitiveExact are host paths that are sensitive themselves but whose
// children are not all: mounting /var exposes everything under it, while
// /var/log is a common, lesser log-shipper mount.
var sensitiveExact = map[string]bool{
	"/": true, "/var": true, "/var/run": true, "/run": true, "/var/lib": true,
	"/home": true, "/usr": true, "/lib": true, "/bin": true, "/sbin": true, "/opt": true,
}

// sensitiveTrees are host paths sensitive with everything below them: the
// union of the Falco, Elastic and Panther lists plus the other runtimes'
// sockets and state.
var sensitiveTrees = []string{
	"/proc", "/sys", "/dev", "/boot", "/etc", "/root", "/home/admin",
	"/var/lib/kubelet", "/var/lib/docker", "/var/lib/containerd", "/var/lib/crio",
	"/var/lib/etcd", "/var/run/docker.sock", "/run/docker.sock",
	"/var/run/containerd", "/run/containerd", "/var/run/crio", "/run/crio",
	"/var/run/cri-dockerd.sock", "/run/cri-dockerd.sock", "/lib/modules", "/usr/lib/modules",
}

// hostPathScore rates a hostPath volume by the path it exposes.
func hostPathScore(p string) int {
	if p == "" {
		return ScoreHostPathOther
	}
	c := path.Clean("/" + p)
	if sensitiveExact[c] {
		return ScoreHostPathSensitive
	}
	for _, t := range sensitiveTrees {
		if c == t || strings.HasPrefix(c, t+"/") {
			return ScoreHostPathSensitive
		}
	}
	return ScoreHostPathOther
}
