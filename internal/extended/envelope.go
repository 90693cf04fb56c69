package extended

import (
	"encoding/base64"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/kubeprivpod/kubeprivpod/internal/jsonscan"
)

// The envelopes cloud pipelines put around audit events before Splunk
// indexes them, each read down to the events it carries; every inner
// event is judged on its own, with its own request key:
//
//   - GKE: a Cloud Logging LogEntry whose protoPayload is the audit log
//     (Splunk Add-on for Google Cloud Platform, gcloud logging read);
//   - Pub/Sub: {"data": <LogEntry>, "attributes": …, "publish_time": …}
//     as the Splunk Add-on for Google Cloud Platform indexes a message,
//     "data" also base64-encoded as Pub/Sub delivers it, and a push
//     subscription's {"message": {"data": …}, "subscription": …};
//   - AKS: a diagnostic record with the audit event in properties.log, as
//     a JSON string (Event Hub, storage) or an object (pipelines that
//     parse it);
//   - Event Hub: {"records": [<record>, …]}, a batch of diagnostic
//     records (Splunk Add-on for Microsoft Cloud Services);
//   - CloudWatch Logs subscription: {"messageType": "DATA_MESSAGE",
//     "logGroup": …, "logEvents": [{"message": "<audit event>"}, …]}
//     (EKS control-plane logs through Firehose or Lambda);
//   - an audit EventList ({"kind": "EventList", "items": […]}), the
//     webhook backend's batch;
//   - a JSON array of any of these (gcloud logging read --format=json).

// maxEnvelopeDepth bounds the envelopes around one event: an Event Hub
// batch of AKS records holding the event as a string is two.
const maxEnvelopeDepth = 4

// maxUnknownKeys bounds the keys the unknown-object warning names.
const maxUnknownKeys = 12

// inner routes the text of one event that may be an object, an array of
// events, or neither (counted as not JSON).
func (d *Detector) inner(s string, depth int) {
	s = trimBlank(s)
	switch {
	case len(s) >= 2 && s[0] == '{' && s[len(s)-1] == '}':
		d.event(s, depth)
	case len(s) >= 2 && s[0] == '[' && s[len(s)-1] == ']' && depth < maxEnvelopeDepth && hasObject(s):
		d.elements(gjson.Parse(s), depth+1)
	default:
		d.notObject(s)
	}
}

// hasObject reports whether s is a valid JSON array with an object among
// its elements; any other array is one event that is not an object.
func hasObject(s string) bool {
	if jsonscan.Validate(bytesOf(s)) != nil {
		return false
	}
	found := false
	gjson.Parse(s).ForEach(func(_, v gjson.Result) bool {
		found = v.IsObject()
		return !found
	})
	return found
}

// elements routes each element of a JSON array.
func (d *Detector) elements(arr gjson.Result, depth int) {
	arr.ForEach(func(_, v gjson.Result) bool {
		if v.IsObject() {
			d.event(v.Raw, depth)
		} else {
			d.notObject(v.Raw)
		}
		return true
	})
}

// envelope reads s as one of the envelopes above and routes what it
// carries. It returns false when s is none of them.
func (d *Detector) envelope(s string, depth int) bool {
	if depth >= maxEnvelopeDepth {
		return false
	}
	// Of a key given twice the first counts, as for gjson.Get.
	var pp, props, records, logEvents, msgType, data, message, items, kind, category gjson.Result
	pubsub := false
	set := func(dst *gjson.Result, v gjson.Result) {
		if !dst.Exists() {
			*dst = v
		}
	}
	gjson.Parse(s).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "protoPayload":
			set(&pp, v)
		case "properties":
			set(&props, v)
		case "records":
			set(&records, v)
		case "logEvents":
			set(&logEvents, v)
		case "messageType":
			set(&msgType, v)
		case "data":
			set(&data, v)
		case "message":
			set(&message, v)
		case "items":
			set(&items, v)
		case "kind":
			set(&kind, v)
		case "category":
			set(&category, v)
		case "attributes", "publish_time", "publishTime", "message_id", "messageId":
			pubsub = true
		}
		return true
	})
	switch {
	case pp.IsObject():
		// A Cloud Audit Log entry; one of another service or a read is
		// known and has nothing to judge.
		var e event
		if !parseGKE(s, pp, &e) {
			return true
		}
		if jsonscan.Validate(bytesOf(s)) != nil {
			d.nonJSON++
			return true
		}
		d.judge(&e, true)
	case props.IsObject() && props.Get("log").Exists():
		l := props.Get("log")
		if l.Type == gjson.String {
			if category.Type == gjson.String && !strings.HasPrefix(category.Str, "kube-audit") &&
				!strings.HasPrefix(strings.TrimSpace(l.Str), "{") {
				// Another AKS component's log line (kube-apiserver,
				// cluster-autoscaler, …), sent down the same Event Hub:
				// known, and nothing to judge.
				return true
			}
			d.inner(l.Str, depth+1)
		} else {
			d.inner(l.Raw, depth+1)
		}
	case records.IsArray():
		d.elements(records, depth+1)
	case logEvents.IsArray():
		if msgType.Str == "CONTROL_MESSAGE" {
			return true // CloudWatch's health check of the destination
		}
		logEvents.ForEach(func(_, v gjson.Result) bool {
			m := v.Get("message")
			if m.Type == gjson.String {
				d.inner(m.Str, depth+1)
			} else {
				d.notObject(m.Raw)
			}
			return true
		})
	case pubsub && data.Exists():
		d.pubsub(data, depth+1)
	case message.IsObject() && message.Get("data").Exists():
		d.pubsub(message.Get("data"), depth+1)
	case kind.Str == "EventList" && items.IsArray():
		d.elements(items, depth+1)
	default:
		return false
	}
	return true
}

// pubsub routes the data of a Pub/Sub message: the LogEntry itself, or
// its base64 encoding.
func (d *Detector) pubsub(data gjson.Result, depth int) {
	if data.Type != gjson.String {
		d.inner(data.Raw, depth)
		return
	}
	text := strings.TrimSpace(data.Str)
	if len(text) > 0 && (text[0] == '{' || text[0] == '[') {
		d.inner(text, depth)
		return
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(text); err == nil {
			d.inner(string(b), depth)
			return
		}
	}
	d.notObject(text)
}

// unrecognized counts a JSON object that is neither an audit event nor a
// known envelope, keeping the least list of top-level keys among them.
func (d *Detector) unrecognized(s string) {
	if jsonscan.Validate(bytesOf(s)) != nil {
		// Broken JSON in which gjson found no verb: when the fast scan
		// reads one that rules the event out, the event is dropped as it
		// would have been without the exhaustive look (FuzzEnvelopes).
		if q, ok := quickWatch(s); ok && q == notWatched {
			return
		}
		d.notObject(s)
		return
	}
	d.noteUnknown(1, topKeys(s))
}

// noteUnknown adds n unknown objects, one of which has the given keys.
func (d *Detector) noteUnknown(n int, keys string) {
	if n <= 0 {
		return
	}
	if d.unknown == 0 || keys < d.unknownKeys {
		// keys may alias the caller's event buffer, which is reused.
		d.unknownKeys = strings.Clone(keys)
	}
	d.unknown += n
}

// topKeys lists the top-level keys of a JSON object, in order, for a
// message: at most maxUnknownKeys, each cut to 40 bytes, as valid UTF-8.
func topKeys(s string) string {
	var keys []string
	more := false
	gjson.Parse(s).ForEach(func(k, _ gjson.Result) bool {
		if len(keys) == maxUnknownKeys {
			more = true
			return false
		}
		key := k.Str
		if len(key) > 40 {
			key = key[:40] + "…"
		}
		keys = append(keys, validUTF8(key))
		return true
	})
	if len(keys) == 0 {
		return "(none)"
	}
	out := strings.Join(keys, ", ")
	if more {
		out += ", …"
	}
	return out
}
