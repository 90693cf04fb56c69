package chunked

import (
	"errors"
	"fmt"
	"io"
)

// Command is a search command driven by Serve. Serve handles framing,
// lock-step and errors; the command only answers.
type Command interface {
	// GetInfo answers the getinfo request: the command's type, the fields
	// it needs, its preop. An error ends the conversation.
	GetInfo(info *SearchInfo, preview bool) (*Metadata, error)
	// Execute answers one execute request whose CSV body rows reads. The
	// command need not read all rows; Serve drains the rest before it
	// replies. The rows it writes to out (header first) are the reply's
	// body, sent in the same chunk as the Response; a reply without rows
	// has no body. An error, or a CSV error left in rows.Err, ends the
	// conversation and discards out. req, rows and out are reused for the
	// next request: keep no reference to them (or to bytes they returned)
	// after the call.
	Execute(req *Request, rows *RecordReader, out *RecordWriter) (*Response, error)
}

// Response is a command's answer to one execute request; its rows are
// those written to Execute's RecordWriter, or those Rows writes.
type Response struct {
	Messages []Message // inspector messages
	Finished bool      // the command wants no more input (usually req.Finished)

	// Rows, when set, writes the reply's rows instead of Execute's
	// RecordWriter, for a reply too large to hold: splunkd takes exactly
	// one reply chunk per request and its header must give the body's
	// length first, so Serve calls Rows twice, once to count the bytes and
	// once to write them straight to the output behind the header. Rows
	// must write the same rows both times; an error from the first call
	// ends the conversation like an error from Execute, while one from the
	// second (or a different length) leaves splunkd a broken chunk.
	Rows func(out *RecordWriter) error
}

// Errors of the conversation, wrapped in *ChunkError.
var (
	ErrNoGetinfo = errors.New("expected a getinfo request first")
	ErrProtocol  = errors.New("protocol violation")
	ErrPanic     = errors.New("command panicked")
)

// Serve runs one splunkd conversation: it reads requests from in and
// writes replies to out until splunkd's input ends or a reply says
// finished. It answers the getinfo request with cmd.GetInfo and each
// execute request, once its body was read to the end, with exactly one
// reply built from cmd.Execute.
//
// It returns nil when the input ends cleanly (including right after the
// getinfo reply, as for splunkd's getinfo-only processes) or after a
// finished reply. On any error (bad framing or CSV, a request out of
// order, an error or panic from cmd) it writes one reply
// {"finished":true,"inspector":{"messages":[["ERROR","<text>"]]}} whose
// text names the problem and where it is, then returns that error (as a
// *ChunkError), so the program can exit non-zero.
func Serve(in io.Reader, out io.Writer, cmd Command) (err error) {
	s := &server{r: NewReader(in), w: NewWriter(out), cmd: cmd}
	defer func() {
		if p := recover(); p != nil {
			err = s.fail(s.where(fmt.Errorf("%w: %v", ErrPanic, p)))
		}
	}()
	return s.run()
}

type server struct {
	r   *Reader
	w   *Writer
	cmd Command
	req *Request // the request being answered
}

func (s *server) run() error {
	req, err := s.r.Next()
	if err == io.EOF {
		return s.fail(&ChunkError{Chunk: 0, Offset: 0, Err: fmt.Errorf("%w: the input is empty", ErrNoGetinfo)})
	}
	if err != nil {
		return s.fail(err)
	}
	s.req = req
	if req.Action != "getinfo" {
		return s.fail(s.where(fmt.Errorf("%w, got %q", ErrNoGetinfo, req.Action)))
	}
	if req.BodyLen != 0 {
		return s.fail(s.where(fmt.Errorf("%w: getinfo request with a %d-byte body", ErrProtocol, req.BodyLen)))
	}
	meta, err := s.cmd.GetInfo(req.Info, req.Preview)
	if err != nil {
		return s.fail(s.where(err))
	}
	if meta == nil {
		meta = &Metadata{}
	}
	if err := s.w.WriteChunk(meta, nil); err != nil {
		return err // stdout is gone: nobody to tell
	}
	if meta.Finished != nil && *meta.Finished {
		return nil
	}

	rows := NewRecordReader(nil)
	out := newReplyBody()
	for {
		s.req = nil
		req, err := s.r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return s.fail(err)
		}
		s.req = req
		if req.Action != "execute" {
			return s.fail(s.where(fmt.Errorf("%w: unexpected %q request after getinfo", ErrProtocol, req.Action)))
		}
		rows.Reset(req.Body)
		out.resetReply()
		resp, err := s.cmd.Execute(req, rows, out)
		if err == nil {
			err = rows.Err()
		}
		if err != nil {
			return s.fail(s.where(err))
		}
		// Reply only after the whole request was read, whatever the
		// command left of it.
		if _, err := io.Copy(io.Discard, req.Body); err != nil {
			return s.fail(s.where(err))
		}
		if resp == nil {
			resp = &Response{Finished: req.Finished}
		}
		reply := Metadata{Finished: Bool(resp.Finished)}
		if len(resp.Messages) > 0 {
			reply.Inspector = &Inspector{Messages: resp.Messages}
		}
		if resp.Rows != nil {
			if out.Rows() > 0 {
				return s.fail(s.where(fmt.Errorf("%w: the command wrote rows to the reply and set Response.Rows", ErrProtocol)))
			}
			n, rows, err := countRows(resp.Rows)
			if err != nil {
				return s.fail(s.where(err))
			}
			if rows == 0 {
				err = s.w.WriteChunk(&reply, nil)
			} else {
				err = s.w.writeRows(&reply, n, resp.Rows)
			}
			if err != nil {
				return err
			}
		} else {
			if out.Rows() == 0 {
				out.resetReply() // a header alone is not worth sending
			}
			if err := s.w.writeReply(&reply, out); err != nil {
				return err
			}
		}
		if resp.Finished {
			return nil
		}
	}
}

// where places err at the current request unless it already says where.
func (s *server) where(err error) error {
	var ce *ChunkError
	if errors.As(err, &ce) || s.req == nil {
		return err
	}
	return &ChunkError{Chunk: s.req.Chunk, Offset: s.req.Offset, Action: s.req.Action, Err: err}
}

// fail reports err to splunkd in a finished reply and returns it.
func (s *server) fail(err error) error {
	s.w.WriteChunk(&Metadata{
		Finished:  Bool(true),
		Inspector: &Inspector{Messages: []Message{Error(err.Error())}},
	}, nil)
	return err
}
