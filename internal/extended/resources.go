package extended

// watched describes one API resource whose objects carry a pod spec.
type watched struct {
	// groups lists the API groups serving the resource ("" is core).
	groups []string
	// spec is the path from the object root to its pod spec, as tokens.
	spec []string
	// noun names the object in messages.
	noun string
	// kind is the object's kind, as ownerReferences and allowlists name it.
	kind string
}

var (
	coreGroup  = []string{""}
	appsGroups = []string{"apps", "extensions"}
	batchGroup = []string{"batch"}
	templated  = []string{"spec", "template", "spec"}
)

// The watched resources, one variable each so that resourceNamed can
// return them without a map look-up.
var (
	podsRes                   = &watched{groups: coreGroup, spec: []string{"spec"}, noun: "pod", kind: "Pod"}
	podTemplatesRes           = &watched{groups: coreGroup, spec: []string{"template", "spec"}, noun: "pod template", kind: "PodTemplate"}
	replicationControllersRes = &watched{groups: coreGroup, spec: templated, noun: "replication controller", kind: "ReplicationController"}
	replicaSetsRes            = &watched{groups: appsGroups, spec: templated, noun: "replica set", kind: "ReplicaSet"}
	deploymentsRes            = &watched{groups: appsGroups, spec: templated, noun: "deployment", kind: "Deployment"}
	statefulSetsRes           = &watched{groups: []string{"apps"}, spec: templated, noun: "stateful set", kind: "StatefulSet"}
	daemonSetsRes             = &watched{groups: appsGroups, spec: templated, noun: "daemon set", kind: "DaemonSet"}
	jobsRes                   = &watched{groups: batchGroup, spec: templated, noun: "job", kind: "Job"}
	cronJobsRes               = &watched{groups: batchGroup, spec: []string{"spec", "jobTemplate", "spec", "template", "spec"}, noun: "cron job", kind: "CronJob"}
)

// resources maps objectRef.resource to where its pod spec lives. A write to
// any other resource cannot create a container.
var resources = map[string]*watched{
	"pods":                   podsRes,
	"podtemplates":           podTemplatesRes,
	"replicationcontrollers": replicationControllersRes,
	"replicasets":            replicaSetsRes,
	"deployments":            deploymentsRes,
	"statefulsets":           statefulSetsRes,
	"daemonsets":             daemonSetsRes,
	"jobs":                   jobsRes,
	"cronjobs":               cronJobsRes,
}

// resourceNamed is resources[name] as a switch: the pre-filter asks for
// every write event (and twice for a pod-spec write), and comparing a
// few lengths and bytes is cheaper than hashing the name.
func resourceNamed(name string) *watched {
	switch name {
	case "pods":
		return podsRes
	case "podtemplates":
		return podTemplatesRes
	case "replicationcontrollers":
		return replicationControllersRes
	case "replicasets":
		return replicaSetsRes
	case "deployments":
		return deploymentsRes
	case "statefulsets":
		return statefulSetsRes
	case "daemonsets":
		return daemonSetsRes
	case "jobs":
		return jobsRes
	case "cronjobs":
		return cronJobsRes
	}
	return nil
}

// ephemeralSubresource is the one subresource that changes containers: it
// adds ephemeral containers (kubectl debug) to a running pod.
const ephemeralSubresource = "ephemeralcontainers"

// lookupResource returns the resource description when a write to
// resource/subresource in group can change a pod spec, else nil. An empty
// group is accepted for every resource because some envelopes omit it.
func lookupResource(resource, subresource, group string) *watched {
	w := resourceNamed(resource)
	if w == nil {
		return nil
	}
	if subresource != "" && (resource != "pods" || subresource != ephemeralSubresource) {
		return nil // status, scale, binding, eviction, exec…: no pod spec
	}
	if group == "" {
		return w
	}
	for _, g := range w.groups {
		if g == group {
			return w
		}
	}
	return nil
}

// isWriteVerb reports whether an audit verb can change an object.
func isWriteVerb(v string) bool {
	return v == "create" || v == "update" || v == "patch"
}

// pastTense returns the verb as used in messages.
func pastTense(verb string) string {
	switch verb {
	case "create":
		return "created"
	case "update":
		return "updated"
	case "patch":
		return "patched"
	}
	return verb
}
