package isolate

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// Frame types.
const (
	typRequest  = 1 // expects a response with the same id
	typResponse = 2
	typOneway   = 3 // no response; applied in order on the reader goroutine
)

// Ops, parent to child.
const (
	opStart = iota + 1
	opNotify
	opCommand
	opStop
	opRemote // registry.RemoteModule: another module calls one of this one's methods
)

// Ops, child to parent: the registry.Host methods, then one-way messages.
const (
	opMgrID = iota + 32
	opGet
	opListServers
	opGetServer
	opMetadata
	opCounter
	opLatest
	opPerfSchema
	opModuleOption
	opSetModuleOption
	opStoreGet
	opStoreSet
	opStorePrefix

	opOpened // one-way: Open's result (Info or error)
	opLog
	opHealth
	opFailed // one-way: the inner module's Failed() became non-nil

	// registry.ClusterHost: Ceph's calls that act on the cluster.
	opSendCommand
	opClusterLog // one-way
	opCephOption
	opSetURI // one-way

	// registry.ForeignOptionHost: another module's options.
	opForeignOption
	opSetForeignOption

	opRemoteCall // registry.RemoteHost: call another module's method
	opProgress   // one-way: registry.ClusterHost.Progress

	// registry.PerfQueryHost: OSD perf metric queries.
	opAddOSDPerfQuery
	opRemoveOSDPerfQuery
	opOSDPerfCounters

	opOSDMapCalc // CRUSH placement for ceph_module's OSDMap (osdmapcalc.go)
)

const (
	headerLen = 4 + 1 + 1 + 8 // length, type, op, id
	// maxFrame bounds one frame so a corrupt length cannot make a reader
	// allocate without limit; a get() of a large map is a few MiB.
	maxFrame = 256 << 20
	// writeTimeout bounds one write to the peer.
	writeTimeout = 2 * time.Second
)

// frame is one message on the stream:
//
//	u32 LE length of what follows | u8 type | u8 op | u64 LE id | payload
type frame struct {
	typ, op uint8
	id      uint64
	payload []byte
}

// appendFrame encodes f after b.
func appendFrame(b []byte, f frame) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(headerLen-4+len(f.payload)))
	b = append(b, f.typ, f.op)
	b = binary.LittleEndian.AppendUint64(b, f.id)
	return append(b, f.payload...)
}

// readFrame reads one frame. Errors other than io.EOF wrap ErrProtocol or
// are the reader's.
func readFrame(r io.Reader, hdr *[headerLen]byte) (frame, error) {
	if _, err := io.ReadFull(r, hdr[:4]); err != nil {
		return frame{}, err
	}
	n := binary.LittleEndian.Uint32(hdr[:4])
	if n < headerLen-4 || n > maxFrame {
		return frame{}, fmt.Errorf("%w: frame length %d", ErrProtocol, n)
	}
	if _, err := io.ReadFull(r, hdr[4:]); err != nil {
		return frame{}, unexpected(err)
	}
	f := frame{typ: hdr[4], op: hdr[5], id: binary.LittleEndian.Uint64(hdr[6:])}
	if f.typ < typRequest || f.typ > typOneway {
		return frame{}, fmt.Errorf("%w: frame type %d", ErrProtocol, f.typ)
	}
	if p := int(n) - (headerLen - 4); p > 0 {
		f.payload = make([]byte, p)
		if _, err := io.ReadFull(r, f.payload); err != nil {
			return frame{}, unexpected(err)
		}
	}
	return f, nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return fmt.Errorf("%w: stream ended inside a frame", ErrProtocol)
	}
	return err
}

// conn is one end of the stream. One reader goroutine (run) matches
// responses to callers and hands requests and one-way frames to the
// handler. Senders queue frames; whichever sender gets the write lock
// writes everything queued. A write that cannot finish within writeTimeout
// (the peer stopped reading: it is frozen) closes the stream.
type conn struct {
	nc net.Conn

	mu      sync.Mutex
	next    uint64
	pending map[uint64]chan frame
	queue   []outFrame
	err     error      // why the stream closed; set once
	wmu     sync.Mutex // held while writing; guards wbuf
	wbuf    []byte
	done    chan struct{} // closed when the stream is closed
}

type outFrame struct {
	f       frame
	written chan struct{} // closed once written, for the few that must be
}

func newConn(nc net.Conn) *conn {
	c := &conn{
		nc:      nc,
		pending: make(map[uint64]chan frame),
		done:    make(chan struct{}),
	}
	return c
}

// close ends the stream with err (the first reason wins). Safe from any
// goroutine, any number of times.
func (c *conn) close(err error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	if err == nil {
		err = ErrClosed
	}
	c.err = err
	queue := c.queue
	c.queue = nil
	c.mu.Unlock()
	close(c.done)
	_ = c.nc.Close()
	for _, o := range queue {
		if o.written != nil {
			close(o.written)
		}
	}
}

// closeErr is why the stream closed, wrapping ErrClosed.
func (c *conn) closeErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil || errors.Is(c.err, ErrClosed) {
		return c.err
	}
	return fmt.Errorf("%w: %w", ErrClosed, c.err)
}

// send queues f. written, if not nil, is closed when f has reached the
// socket or the stream has closed.
func (c *conn) send(f frame, written chan struct{}) error {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		if written != nil {
			close(written)
		}
		return c.closeErr()
	}
	c.queue = append(c.queue, outFrame{f: f, written: written})
	c.mu.Unlock()
	// Write on the sender's goroutine when no one else is writing (one
	// goroutine hand-off less per message); otherwise the writer in place
	// drains the queue before it lets go.
	for c.wmu.TryLock() {
		c.flush()
		c.wmu.Unlock()
		c.mu.Lock()
		more := len(c.queue) > 0 && c.err == nil
		c.mu.Unlock()
		if !more {
			break
		}
	}
	return nil
}

// flush writes the queued frames. c.wmu must be held.
func (c *conn) flush() {
	c.mu.Lock()
	batch := c.queue
	c.queue = nil
	c.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	// Frames queued together go out in one write.
	c.wbuf = c.wbuf[:0]
	for _, o := range batch {
		c.wbuf = appendFrame(c.wbuf, o.f)
	}
	_ = c.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
	_, err := c.nc.Write(c.wbuf)
	for _, o := range batch {
		if o.written != nil {
			close(o.written)
		}
	}
	// Do not pin a large get() reply: a 1,000-OSD osd_map is 0.7 MB, and
	// kept per module process it was most of the host's heap at rest.
	if cap(c.wbuf) > 64<<10 {
		c.wbuf = nil
	}
	if err != nil {
		c.close(fmt.Errorf("write: %w", err))
	}
}

// sendSync sends f and waits until it is written.
func (c *conn) sendSync(f frame) error {
	w := make(chan struct{})
	if err := c.send(f, w); err != nil {
		return err
	}
	<-w
	return nil
}

// run reads frames until the stream ends, then closes it. Responses go to
// their callers; requests and one-way frames go to handle, on this
// goroutine, in stream order.
func (c *conn) run(handle func(frame)) {
	r := bufio.NewReaderSize(c.nc, 64<<10)
	var hdr [headerLen]byte
	for {
		f, err := readFrame(r, &hdr)
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.EOF
			}
			c.close(err)
			return
		}
		if f.typ != typResponse {
			handle(f)
			continue
		}
		c.mu.Lock()
		ch := c.pending[f.id]
		delete(c.pending, f.id)
		c.mu.Unlock()
		if ch != nil {
			ch <- f // buffered: never blocks
		}
	}
}

// call sends a request and waits for its response, ctx's end or the
// stream's end. It returns the response body, or the remote error.
func (c *conn) call(ctx context.Context, op uint8, payload []byte) ([]byte, error) {
	ch := make(chan frame, 1)
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return nil, c.closeErr()
	}
	c.next++
	id := c.next
	c.pending[id] = ch
	c.mu.Unlock()
	if err := c.send(frame{typ: typRequest, op: op, id: id, payload: payload}, nil); err != nil {
		return nil, err
	}
	select {
	case f := <-ch:
		return decodeResponse(f.payload)
	case <-c.done:
		select {
		case f := <-ch:
			return decodeResponse(f.payload)
		default:
		}
		return nil, c.closeErr()
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
		return nil, ctx.Err()
	}
}

// reply answers request id with body, or with err when it is not nil.
func (c *conn) reply(req frame, body []byte, err error) {
	_ = c.send(responseFrame(req, body, err), nil)
}

func responseFrame(req frame, body []byte, err error) frame {
	var e enc
	if err != nil {
		e.u8(1)
		e.errorValue(err)
	} else {
		e.b = make([]byte, 0, 1+len(body))
		e.u8(0)
		e.b = append(e.b, body...)
	}
	return frame{typ: typResponse, op: req.op, id: req.id, payload: e.b}
}

func decodeResponse(p []byte) ([]byte, error) {
	if len(p) == 0 {
		return nil, fmt.Errorf("%w: empty response", ErrProtocol)
	}
	if p[0] == 0 {
		return p[1:], nil
	}
	d := dec{b: p[1:]}
	return nil, d.errorValue()
}

// oneway sends a frame that expects no answer.
func (c *conn) oneway(op uint8, payload []byte) error {
	return c.send(frame{typ: typOneway, op: op, payload: payload}, nil)
}
