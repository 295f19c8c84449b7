package msgrbench

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"

	"gomgr/msgr/wire"
)

// This file is the control implementation: msgr v1 framing the plain Go way.

func addrOf(a net.Addr, nonce uint32) wire.EntityAddr {
	ta, _ := a.(*net.TCPAddr)
	ea := wire.AddrFromTCP(ta, nonce)
	ea.Type = 1
	return ea
}

// stdServerHandshake runs the server half on nc and returns the client's seq
// base (always a fresh session: READY).
func stdServerHandshake(nc net.Conn, r *bufio.Reader, nonce uint32) error {
	b := wire.AppendBanner(nil)
	me := addrOf(nc.LocalAddr(), nonce)
	peer := addrOf(nc.RemoteAddr(), 0)
	b = wire.AppendAddr(b, &me)
	b = wire.AppendAddr(b, &peer)
	if _, err := nc.Write(b); err != nil {
		return err
	}
	in := make([]byte, wire.BannerLen+wire.AddrLen+wire.ConnectLen)
	if _, err := io.ReadFull(r, in); err != nil {
		return err
	}
	if err := wire.CheckBanner(in); err != nil {
		return err
	}
	if _, err := wire.DecodeAddr(in[wire.BannerLen:]); err != nil {
		return err
	}
	cm, err := wire.DecodeConnect(in[wire.BannerLen+wire.AddrLen:])
	if err != nil {
		return err
	}
	if cm.AuthorizerLen > 0 {
		if cm.AuthorizerLen > wire.DefaultMaxAuthorizerLen {
			return fmt.Errorf("%w: authorizer of %d bytes", ErrHandshake, cm.AuthorizerLen)
		}
		if _, err := io.CopyN(io.Discard, r, int64(cm.AuthorizerLen)); err != nil {
			return err
		}
	}
	rep := wire.ConnectReply{Tag: wire.TagReady, Features: wire.FeaturesSupported, GlobalSeq: 1,
		ConnectSeq: cm.ConnectSeq + 1, ProtocolVersion: wire.ProtocolVersion, Flags: wire.ConnectLossy}
	_, err = nc.Write(wire.AppendConnectReply(nil, &rep))
	return err
}

// stdClientHandshake runs the client half (lossy, connect_seq 0).
func stdClientHandshake(nc net.Conn, r *bufio.Reader, nonce uint32) error {
	hello := make([]byte, wire.BannerLen+2*wire.AddrLen)
	if _, err := nc.Write(wire.AppendBanner(nil)); err != nil {
		return err
	}
	if _, err := io.ReadFull(r, hello); err != nil {
		return err
	}
	if err := wire.CheckBanner(hello); err != nil {
		return err
	}
	seen, err := wire.DecodeAddr(hello[wire.BannerLen+wire.AddrLen:])
	if err != nil {
		return err
	}
	me := wire.EntityAddr{Type: 1, Nonce: nonce, IP: seen.IP}
	b := wire.AppendAddr(nil, &me)
	cm := wire.Connect{Features: wire.FeaturesSupported, HostType: wire.EntityClient, GlobalSeq: 1,
		ProtocolVersion: wire.ProtocolVersion, Flags: wire.ConnectLossy}
	b = wire.AppendConnect(b, &cm)
	if _, err := nc.Write(b); err != nil {
		return err
	}
	rb := make([]byte, wire.ConnectReplyLen)
	if _, err := io.ReadFull(r, rb); err != nil {
		return err
	}
	rep, err := wire.DecodeConnectReply(rb)
	if err != nil {
		return err
	}
	if rep.Tag != wire.TagReady {
		return fmt.Errorf("%w: reply tag %d", ErrHandshake, rep.Tag)
	}
	if rep.AuthorizerLen > 0 {
		if _, err := io.CopyN(io.Discard, r, int64(rep.AuthorizerLen)); err != nil {
			return err
		}
	}
	return nil
}

// stdMsg is one received message.
type stdMsg struct {
	h                   wire.Header
	front, middle, data []byte
}

// stdReadFrame reads one tagged frame; for TagMsg it returns the message,
// for TagAck the acked seq; keepalives are answered through ka.
func stdReadFrame(r *bufio.Reader, max int, hb []byte) (tag byte, m stdMsg, seq uint64, err error) {
	tag, err = r.ReadByte()
	if err != nil {
		return 0, m, 0, err
	}
	switch tag {
	case wire.TagMsg:
		if _, err = io.ReadFull(r, hb[:wire.HeaderLen]); err != nil {
			return
		}
		if m.h, err = wire.DecodeHeader(hb[:wire.HeaderLen]); err != nil {
			return
		}
		total := int(m.h.FrontLen) + int(m.h.MiddleLen) + int(m.h.DataLen)
		if total > max || total < 0 {
			return tag, m, 0, fmt.Errorf("%w: message of %d bytes", wire.ErrTooLarge, total)
		}
		buf := make([]byte, total)
		if _, err = io.ReadFull(r, buf); err != nil {
			return
		}
		fl, ml := int(m.h.FrontLen), int(m.h.MiddleLen)
		m.front, m.middle, m.data = buf[:fl:fl], buf[fl:fl+ml:fl+ml], buf[fl+ml:]
		if _, err = io.ReadFull(r, hb[:wire.FooterLen]); err != nil {
			return
		}
		var f wire.Footer
		if f, err = wire.DecodeFooter(hb[:wire.FooterLen]); err != nil {
			return
		}
		err = f.Check(m.front, m.middle, m.data)
		return
	case wire.TagAck:
		if _, err = io.ReadFull(r, hb[:8]); err != nil {
			return
		}
		seq = uint64(hb[0]) | uint64(hb[1])<<8 | uint64(hb[2])<<16 | uint64(hb[3])<<24 |
			uint64(hb[4])<<32 | uint64(hb[5])<<40 | uint64(hb[6])<<48 | uint64(hb[7])<<56
		return
	case wire.TagKeepalive2, wire.TagKeepalive2Ack:
		_, err = io.ReadFull(r, hb[:wire.TimespecLen])
		return
	case wire.TagKeepalive:
		return
	}
	return tag, m, 0, fmt.Errorf("%w: %d", wire.ErrUnknownTag, tag)
}

// stdWriter is the writer goroutine's side of one connection: messages and
// acks go through a channel; the goroutine flushes when it runs dry.
type stdWriter struct {
	ch  chan stdOut
	w   *bufio.Writer
	seq uint64
	src wire.EntityName
}

type stdOut struct {
	ack uint64 // >0: an ACK
	h   wire.Header
	f   []byte
	d   []byte
}

func (sw *stdWriter) run(nc net.Conn, done func()) {
	defer done()
	for o := range sw.ch {
		if err := sw.write(o); err != nil {
			nc.Close()
			for range sw.ch { // drain so senders never block
			}
			return
		}
		if len(sw.ch) == 0 {
			if err := sw.w.Flush(); err != nil {
				nc.Close()
				for range sw.ch {
				}
				return
			}
		}
	}
}

func (sw *stdWriter) write(o stdOut) error {
	if o.ack > 0 {
		_, err := sw.w.Write(wire.AppendAck(nil, o.ack))
		return err
	}
	sw.seq++
	o.h.Seq = sw.seq
	o.h.Src = sw.src
	head, tail := wire.MessageHeadTail(o.h, o.f, nil, o.d)
	if _, err := sw.w.Write(head[:]); err != nil {
		return err
	}
	if _, err := sw.w.Write(o.f); err != nil {
		return err
	}
	if _, err := sw.w.Write(o.d); err != nil {
		return err
	}
	_, err := sw.w.Write(tail[:])
	return err
}

// stdServer is the control echo server.
type stdServer struct {
	ln     net.Listener
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	open   atomic.Int64
	closed atomic.Bool
}

func startStdServer() (*stdServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &stdServer{ln: ln, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

func (s *stdServer) Addr() string { return s.ln.Addr().String() }
func (s *stdServer) Open() int64  { return s.open.Load() }

func (s *stdServer) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed.Load() {
			s.mu.Unlock()
			nc.Close()
			return
		}
		s.conns[nc] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go s.serve(nc)
	}
}

func (s *stdServer) serve(nc net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, nc)
		s.mu.Unlock()
		nc.Close()
	}()
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	r := bufio.NewReader(nc)
	if err := stdServerHandshake(nc, r, 1); err != nil {
		return
	}
	s.open.Add(1)
	defer s.open.Add(-1)
	sw := &stdWriter{ch: make(chan stdOut, 256), w: bufio.NewWriter(nc), src: wire.EntityName{Type: wire.EntityOSD}}
	var wwg sync.WaitGroup
	wwg.Add(1)
	go sw.run(nc, wwg.Done)
	defer func() { close(sw.ch); wwg.Wait() }()
	hb := make([]byte, wire.HeaderLen)
	for {
		tag, m, _, err := stdReadFrame(r, wire.DefaultMaxMessageLen, hb)
		if err != nil {
			return
		}
		if tag != wire.TagMsg {
			continue
		}
		sw.ch <- stdOut{h: wire.Header{Type: m.h.Type, Priority: m.h.Priority, Tid: m.h.Tid}, f: m.front, d: m.data}
		if r.Buffered() == 0 {
			sw.ch <- stdOut{ack: m.h.Seq}
		}
	}
}

func (s *stdServer) Close() {
	s.mu.Lock()
	s.closed.Store(true)
	s.ln.Close()
	for nc := range s.conns {
		nc.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}
