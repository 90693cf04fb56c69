// Package modinput speaks Splunk's modular input protocol: the
// introspection scheme (--scheme), external validation
// (--validate-arguments), the configuration XML Splunk sends on stdin in
// run mode, the XML event stream written to stdout, and the
// "LEVEL message" log lines Splunk files from stderr into splunkd.log.
//
// It knows nothing about what an input collects: callers describe their
// arguments with a Scheme and hand finished events to a Stream.
package modinput
