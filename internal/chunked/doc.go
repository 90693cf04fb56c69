// Package chunked speaks Splunk's custom search command protocol version 2
// (SCP v2, "chunked"): the framing of requests and replies on a command's
// stdin and stdout, the CSV dialect of their bodies including Splunk's
// multivalue "__mv_" columns, the parsing of search arguments, and the
// lock-step conversation loop (Serve) that drives a Command.
//
// A frame is
//
//	chunked 1.0,<metadata bytes>,<body bytes>\n<JSON metadata><body>
//
// with nothing between frames. splunkd sends one getinfo request, then
// execute requests, each of which gets exactly one reply, written only after
// the request was read to its end.
//
// Bodies are streamed: Reader never buffers a whole body and RecordReader's
// memory follows the largest record, not the chunk size, so a 100 MB chunk
// costs no more memory than its biggest event. Replies are written by a
// command through a RecordWriter straight into the chunk Serve sends.
//
// The package knows nothing of Kubernetes or of any detection.
package chunked
