package extended

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kubeprivpod/kubeprivpod/internal/detect"
)

// record is the finding of one request. It is also what a map process
// hands to the reduce process; the tags' short names are the names the
// partial codec (partialcodec.go) and its errors give the fields.
type record struct {
	Key        string   `json:"k,omitempty"`
	Rank       int      `json:"r"`
	Time       string   `json:"t,omitempty"`
	Nano       int64    `json:"-"` // from Time; not sent, so partials cannot disagree
	User       string   `json:"u,omitempty"`
	Groups     []string `json:"g,omitempty"`
	IPs        []string `json:"ip,omitempty"`
	UserAgent  string   `json:"ua,omitempty"`
	Verb       string   `json:"v"`
	Resource   string   `json:"res"`
	Sub        string   `json:"sub,omitempty"`
	Namespace  string   `json:"ns,omitempty"`
	Name       string   `json:"name,omitempty"`
	Outcome    string   `json:"o"`
	Code       int      `json:"c,omitempty"`
	Owner      string   `json:"own,omitempty"`
	Containers []string `json:"ctr,omitempty"`
	Images     []string `json:"img,omitempty"` // of the judged containers
	Reasons    []string `json:"rsn"`
	Changed    []string `json:"chg,omitempty"`  // "<field>:<container>" a patch set on a container with access
	Spec       string   `json:"sp,omitempty"`   // fingerprint of the judged containers' code
	BaseRV     string   `json:"brv,omitempty"`  // resourceVersion an update was based on
	NewRV      string   `json:"nrv,omitempty"`  // resourceVersion the write produced
	Pend       bool     `json:"pend,omitempty"` // a code patch judged against the previous version at Result
	Risk       int      `json:"risk"`
	Detail     string   `json:"d"`

	// ascii is set when every string above comes from an event of plain
	// ASCII text (or from constants): coerceUTF8 has nothing to do.
	ascii bool
}

// groupKey is what makes two requests the same finding. A folded
// finding (a controller's write for its owner) leaves the object's name
// out, so that the pods of one owner with one spec are one row.
func (r *finding) groupKey(folded bool) string {
	return string(r.appendGroupKey(nil, folded))
}

// appendGroupKey appends groupKey's bytes to b: the fields joined by
// NUL, the lists' items by \x01.
func (r *finding) appendGroupKey(b []byte, folded bool) []byte {
	name := r.Name
	if folded {
		name = "\x02folded"
	}
	for i, s := range [...]string{r.User, r.UserAgent, r.Verb, r.Resource, r.Sub, r.Namespace, name, r.Outcome, r.Owner} {
		if i > 0 {
			b = append(b, 0)
		}
		b = append(b, s...)
	}
	for _, l := range [...][]string{r.Containers, r.Images, r.Reasons, r.Changed} {
		b = append(b, 0)
		for i, s := range l {
			if i > 0 {
				b = append(b, 1)
			}
			b = append(b, s...)
		}
	}
	b = append(b, 0)
	b = append(b, r.Spec...)
	b = append(b, 0)
	return append(b, r.Detail...)
}

// group is one result row being aggregated. It keeps the distinct
// origins (interned, shared by many requests) rather than the union of
// their groups and IPs, and its few HTTP codes in a slice: most groups
// hold one request, and a map per set would cost more than the row.
type group struct {
	fin                 *finding // of the first request: the fields in the group key
	sameHash            *group   // the next group whose key has the same hash, while grouping
	count               int
	first, last         stamp // of the requests, earliest and latest
	firstForm, lastForm stampForm
	timed               bool // first and last are set
	folded              bool // a controller's writes for one owner
	origins             []*origin
	originSet           map[*origin]struct{} // the origins, once there are many
	codes               []int                // distinct, unsorted

	names    map[string]bool // of the folded objects
	variants int             // folded rows of the same owner with another spec
}

// manyOrigins is the number of origins past which a group indexes them.
const manyOrigins = 8

func (g *group) merge(q *request) {
	g.count++
	if g.folded && q.fin.Name != "" {
		if g.names == nil {
			g.names = map[string]bool{}
		}
		g.names[q.fin.Name] = true
	}
	if q.time.text != nil || q.form != 0 {
		// By time, and between equal times by text, as Splunk's min and max.
		t, f := q.time, q.form
		switch {
		case !g.timed:
			g.first, g.firstForm, g.last, g.lastForm, g.timed = t, f, t, f, true
		case t.nano < g.first.nano || t.nano == g.first.nano && compareStamps(t, f, g.first, g.firstForm) < 0:
			g.first, g.firstForm = t, f
		case t.nano > g.last.nano || t.nano == g.last.nano && compareStamps(t, f, g.last, g.lastForm) > 0:
			g.last, g.lastForm = t, f
		}
	}
	g.addOrigin(q.org)
	if q.code != 0 && !slices.Contains(g.codes, q.code) {
		g.codes = append(g.codes, q.code)
	}
}

func (g *group) addOrigin(o *origin) {
	switch {
	case g.originSet != nil:
		if _, ok := g.originSet[o]; ok {
			return
		}
		g.originSet[o] = struct{}{}
	case slices.Contains(g.origins, o):
		return
	case len(g.origins) == manyOrigins:
		g.originSet = make(map[*origin]struct{}, 2*manyOrigins)
		for _, p := range g.origins {
			g.originSet[p] = struct{}{}
		}
		g.originSet[o] = struct{}{}
	}
	g.origins = append(g.origins, o)
}

// originValues returns the union of the group's user groups and of its
// source IPs, each sorted, as Splunk's values() does.
func (g *group) originValues() (groups, ips []string) {
	for _, o := range g.origins {
		groups = append(groups, o.groups...)
		ips = append(ips, o.ips...)
	}
	return sortedSet(groups), sortedSet(ips)
}

// coerceUTF8 replaces each byte of r's text that is not valid UTF-8 with
// U+FFFD, as encoding/json does when Flush writes r into a partial row, so
// a finding reads the same whether it stayed in this process or travelled
// from a map process. The request key is left alone: it is hashed, and
// both paths hash the same bytes.
func (r *record) coerceUTF8() {
	if r.ascii {
		return
	}
	for _, p := range [...]*string{&r.Time, &r.User, &r.UserAgent, &r.Verb, &r.Resource, &r.Sub,
		&r.Namespace, &r.Name, &r.Outcome, &r.Owner, &r.Detail, &r.Spec, &r.BaseRV, &r.NewRV} {
		*p = validUTF8(*p)
	}
	for _, l := range [...][]string{r.Groups, r.IPs, r.Containers, r.Images, r.Reasons, r.Changed} {
		for i := range l {
			l[i] = validUTF8(l[i])
		}
	}
}

// validUTF8 returns s with every invalid byte replaced by U+FFFD (one per
// byte, unlike strings.ToValidUTF8, which replaces runs).
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteString("\uFFFD")
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// values returns a set's members sorted, as Splunk's values() does.
func values(set map[string]bool) []string {
	if len(set) == 0 {
		return nil
	}
	out := make([]string, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

func one(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// maxNames bounds the object names a folded row lists.
const maxNames = 10

// rowCells is where a row's cells are made: fresh for Result, whose rows
// outlive the call, or reused from row to row by WriteRows, whose rows
// live only while written (so they may share the finding's lists too).
type rowCells struct {
	reuse  bool
	row    detect.Row
	single []string // the one-value cells' values, by column
}

// one is the cell of column i holding s (none when s is empty).
func (c *rowCells) one(i int, s string) []string {
	if !c.reuse {
		return one(s)
	}
	if s == "" {
		return nil
	}
	c.single[i] = s
	return c.single[i : i+1 : i+1]
}

// list is a cell holding l's values.
func (c *rowCells) list(l []string) []string {
	if !c.reuse {
		return append([]string(nil), l...)
	}
	if len(l) == 0 {
		return nil
	}
	return l
}

// row makes g's row of Result's table.
func (g *group) row() detect.Row {
	return g.makeRow(&rowCells{})
}

// makeRow makes g's row in c.
func (g *group) makeRow(c *rowCells) detect.Row {
	r := g.fin
	groups, ips := g.originValues()
	name := c.one(colName, r.Name)
	if g.folded {
		name = values(g.names)
		if n := len(name); n > maxNames {
			name = append(name[:maxNames:maxNames], "… "+strconv.Itoa(n-maxNames)+" more")
		}
	}
	kind, ownerName := splitOwner(r.Owner)
	ownerNS := ""
	if kind != "" {
		// ownerReferences point into the object's own namespace.
		ownerNS = r.Namespace
	}
	row := c.row[:0]
	if !c.reuse {
		row = make(detect.Row, 0, len(Columns))
	}
	row = append(row,
		c.one(0, stampText(g.first, g.firstForm)),
		c.one(1, stampText(g.last, g.lastForm)),
		c.one(2, strconv.Itoa(g.count)),
		c.one(3, r.User),
		groups,
		ips,
		c.one(6, r.UserAgent),
		c.one(7, r.Verb),
		c.one(8, r.Resource),
		c.one(9, r.Sub),
		c.one(10, r.Namespace),
		name,
		c.one(12, kind),
		c.one(13, ownerNS),
		c.one(14, ownerName),
		c.one(15, g.workload()),
		c.one(16, r.Outcome),
		c.list(r.Containers),
		c.list(r.Images),
		c.list(r.Reasons),
		c.list(r.Changed),
		c.one(21, strconv.Itoa(r.Risk)),
		c.one(22, g.message(ips)),
	)
	if c.reuse {
		c.row = row
	}
	return row
}

// workload is what an allowlist entry's owner names: the owner for a
// folded row (the controller vouches for it), else the object written
// itself. A pod that merely claims an owner is its own workload, so a
// forged ownerReference cannot borrow an allowlisted name.
func (g *group) workload() string {
	r := g.fin
	if g.folded {
		kind, name := splitOwner(r.Owner)
		return kind + "/" + name
	}
	w := resources[r.Resource]
	if w == nil || r.Name == "" {
		return ""
	}
	return w.kind + "/" + r.Name
}

// message explains the row in one paragraph: who did what to which
// object, what in its spec reaches the node, whether it took effect, and
// what to do about it.
func (g *group) message(ips []string) string {
	r := g.fin
	var b strings.Builder
	who := r.User
	if who == "" {
		who = "An unknown user"
	}
	b.WriteString(who)
	b.WriteByte(' ')
	b.WriteString(pastTense(r.Verb))
	b.WriteByte(' ')
	noun := "object"
	if w := resources[r.Resource]; w != nil {
		noun = w.noun
	}
	if g.folded {
		g.foldedMessage(&b, noun)
		return b.String()
	}
	if r.Sub == ephemeralSubresource {
		b.WriteString("the ephemeral containers of pod ")
	} else {
		b.WriteString(noun)
		b.WriteByte(' ')
	}
	switch {
	case r.Namespace != "" && r.Name != "":
		b.WriteString(r.Namespace + "/" + r.Name)
	case r.Name != "":
		b.WriteString(r.Name)
	case r.Namespace != "":
		b.WriteString("(unnamed) in namespace " + r.Namespace)
	default:
		b.WriteString("(unnamed)")
	}
	if r.Owner != "" {
		b.WriteString(" (controlled by " + r.Owner + ")")
	}
	if g.count > 1 {
		b.WriteString(" in " + strconv.Itoa(g.count) + " requests")
	}
	if len(ips) > 0 {
		b.WriteString(" from " + strings.Join(ips, ", "))
	}
	if r.UserAgent != "" {
		b.WriteString(" using " + r.UserAgent)
	}
	b.WriteString(": ")
	b.WriteString(r.Detail)
	g.imagesClause(&b)
	b.WriteString(". ")
	b.WriteString(g.outcomeSentence())
	return b.String()
}

// imagesClause names the judged images the detail does not already name
// (those of containers that get a pod-level access such as hostNetwork).
func (g *group) imagesClause(b *strings.Builder) {
	var missing []string
	for _, im := range g.fin.Images {
		if !strings.Contains(g.fin.Detail, "(image "+im+")") {
			missing = append(missing, im)
		}
	}
	switch len(missing) {
	case 0:
	case 1:
		b.WriteString(" (image " + missing[0] + ")")
	default:
		b.WriteString(" (images " + strings.Join(missing, ", ") + ")")
	}
}

func (g *group) outcomeSentence() string {
	codes := slices.Clone(g.codes)
	slices.Sort(codes)
	cs := make([]string, len(codes))
	for i, c := range codes {
		cs[i] = strconv.Itoa(c)
	}
	http := ""
	if len(cs) > 0 {
		http = " (HTTP " + strings.Join(cs, ", ") + ")"
	}
	switch g.fin.Outcome {
	case OutcomeAllowed:
		access := "have node-level access"
		if len(g.fin.Reasons) == 1 && g.fin.Reasons[0] == ReasonRunAsRoot {
			// Root alone is not node access; do not overstate it.
			access = "run as root"
		}
		return "The API server accepted it" + http + ": confirm this workload is meant to " + access + "; if not, delete it and review what else this user did and can do."
	case OutcomeDenied:
		return "The API server refused it" + http + ", by RBAC or admission (e.g. Pod Security): nothing was created, but the attempt shows intent; review this user's other requests."
	case OutcomeFailed:
		return "The request failed" + http + ", so nothing changed; look for a retry that succeeded."
	case OutcomeDryRun:
		return "It was a server-side dry run (dryRun=All)" + http + ": nothing was stored, but someone tested whether the cluster would accept it."
	}
	return "No response status was recorded for it, so whether it took effect is unknown; find the request's ResponseComplete event or complete log entry."
}
