package extended

import (
	"strconv"
	"strings"
)

// One row per decision: a controller that creates a privileged pod for
// its owner is carrying out a decision someone made when they wrote the
// owner's template (a row of its own, with its author). Its pods are
// folded into one row per owner and spec, so that a DaemonSet on 50
// nodes is one row, not 50.

// controllerWrites maps the kube-controller-manager identities to the
// objects they write for an owner: resource → the owner's kind. Only a
// write by one of them, of that resource, controlled by an owner of that
// kind, is folded; anyone else's pod that claims an owner is not.
var controllerWrites = map[string]map[string]string{
	"system:serviceaccount:kube-system:daemon-set-controller":  {"pods": "DaemonSet"},
	"system:serviceaccount:kube-system:replicaset-controller":  {"pods": "ReplicaSet"},
	"system:serviceaccount:kube-system:replication-controller": {"pods": "ReplicationController"},
	"system:serviceaccount:kube-system:job-controller":         {"pods": "Job"},
	"system:serviceaccount:kube-system:statefulset-controller": {"pods": "StatefulSet"},
	"system:serviceaccount:kube-system:deployment-controller":  {"replicasets": "Deployment"},
	"system:serviceaccount:kube-system:cronjob-controller":     {"jobs": "CronJob"},
}

// managerWrites is what system:kube-controller-manager writes when it
// runs without --use-service-account-credentials: every controller's.
var managerWrites = map[string]map[string]bool{
	"pods":        {"DaemonSet": true, "ReplicaSet": true, "ReplicationController": true, "Job": true, "StatefulSet": true},
	"replicasets": {"Deployment": true},
	"jobs":        {"CronJob": true},
}

// kubeControllerManager is the controller manager's own user.
const kubeControllerManager = "system:kube-controller-manager"

// foldable reports whether f is a controller's write of an object for
// its controlling owner.
func (f *finding) foldable() bool {
	if f.Sub != "" || f.Owner == "" {
		return false
	}
	kind, name := splitOwner(f.Owner)
	if name == "" {
		return false
	}
	if f.User == kubeControllerManager {
		return managerWrites[f.Resource][kind]
	}
	w, ok := controllerWrites[f.User]
	return ok && w[f.Resource] == kind
}

// splitOwner splits owner's "Kind name" form.
func splitOwner(owner string) (kind, name string) {
	kind, name, _ = strings.Cut(owner, " ")
	return kind, name
}

// foldedMessage writes the rest of a folded row's message, after "<user>
// <verb> ": how many objects of which owner, their spec, what to do.
func (g *group) foldedMessage(b *strings.Builder, noun string) {
	r := g.fin
	kind, name := splitOwner(r.Owner)
	n := len(g.names)
	if n == 0 {
		n = g.count
	}
	b.WriteString(plural(n, noun, noun+"s"))
	b.WriteString(" for " + kind + " " + r.Namespace + "/" + name)
	if g.count != n {
		b.WriteString(" in " + strconv.Itoa(g.count) + " requests")
	}
	if r.UserAgent != "" {
		b.WriteString(" using " + r.UserAgent)
	}
	b.WriteString(": ")
	b.WriteString(r.Detail)
	g.imagesClause(b)
	b.WriteString(". ")
	if g.variants > 0 {
		b.WriteString("Other " + noun + "s of this " + kind + " were made from " +
			plural(g.variants, "other spec", "other specs") + " in this search (compare the images and reasons of its rows): " +
			"find who changed its template, and when. ")
	}
	switch r.Outcome {
	case OutcomeAllowed:
		b.WriteString("The controller carries out the " + kind + "'s template: confirm the template is meant to have " +
			"node-level access, and review who wrote it (its own row) rather than the controller.")
	default:
		b.WriteString(g.outcomeSentence())
	}
}
