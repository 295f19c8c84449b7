package isolate

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"gomgr/registry"
)

// enc appends the binary encoding of payloads: uvarints, zigzag varints,
// length-prefixed strings, and typed JSON-shaped values.
type enc struct{ b []byte }

func (e *enc) u8(v uint8)     { e.b = append(e.b, v) }
func (e *enc) uvar(v uint64)  { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) svar(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *enc) str(s string)   { e.uvar(uint64(len(s))); e.b = append(e.b, s...) }
func (e *enc) bytes(p []byte) { e.uvar(uint64(len(p))); e.b = append(e.b, p...) }
func (e *enc) f64(v float64)  { e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(v)) }
func (e *enc) boolean(v bool) {
	if v {
		e.u8(1)
	} else {
		e.u8(0)
	}
}

func (e *enc) strs(ss []string) {
	e.uvar(uint64(len(ss)))
	for _, s := range ss {
		e.str(s)
	}
}

// dec reads what enc wrote. The first error sticks; later reads return
// zero values, so a decoder checks err once at the end.
type dec struct {
	b   []byte
	err error
}

func (d *dec) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: truncated or invalid %s", ErrProtocol, what)
	}
}

func (d *dec) u8() uint8 {
	if d.err != nil || len(d.b) < 1 {
		d.fail("byte")
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *dec) uvar() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("uvarint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) svar() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) f64() float64 {
	if d.err != nil || len(d.b) < 8 {
		d.fail("float")
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
	d.b = d.b[8:]
	return v
}

func (d *dec) boolean() bool { return d.u8() != 0 }

func (d *dec) bytes() []byte {
	n := d.uvar()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.fail("length")
		return nil
	}
	p := d.b[:n:n]
	d.b = d.b[n:]
	return p
}

func (d *dec) str() string { return string(d.bytes()) }

// count reads a collection length and refuses one that cannot fit in the
// remaining bytes (each element takes at least one byte), so a hostile length
// cannot make the decoder allocate.
func (d *dec) count() int {
	n := d.uvar()
	if d.err == nil && n > uint64(len(d.b)) {
		d.fail("count")
		return 0
	}
	return int(n)
}

func (d *dec) strs() []string {
	n := d.count()
	if n == 0 {
		return nil
	}
	out := make([]string, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		out = append(out, d.str())
	}
	return out
}

// Tags of the typed value encoding: exact for the JSON-shaped values that
// Command.Args, option defaults and option values hold.
const (
	tagNil = iota
	tagFalse
	tagTrue
	tagInt
	tagFloat
	tagString
	tagList
	tagMap
	tagNumber // json.Number, kept as its text
)

const maxDepth = 256

func (e *enc) value(v any) error { return e.valueDepth(v, 0) }

func (e *enc) valueDepth(v any, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("%w: value nested deeper than %d", ErrProtocol, maxDepth)
	}
	switch x := v.(type) {
	case nil:
		e.u8(tagNil)
	case bool:
		if x {
			e.u8(tagTrue)
		} else {
			e.u8(tagFalse)
		}
	case int:
		e.u8(tagInt)
		e.svar(int64(x))
	case int8:
		e.u8(tagInt)
		e.svar(int64(x))
	case int16:
		e.u8(tagInt)
		e.svar(int64(x))
	case int32:
		e.u8(tagInt)
		e.svar(int64(x))
	case int64:
		e.u8(tagInt)
		e.svar(x)
	case uint8:
		e.u8(tagInt)
		e.svar(int64(x))
	case uint16:
		e.u8(tagInt)
		e.svar(int64(x))
	case uint32:
		e.u8(tagInt)
		e.svar(int64(x))
	case uint:
		e.uintValue(uint64(x))
	case uint64:
		e.uintValue(x)
	case float32:
		e.u8(tagFloat)
		e.f64(float64(x))
	case float64:
		e.u8(tagFloat)
		e.f64(x)
	case string:
		e.u8(tagString)
		e.str(x)
	case json.Number:
		e.u8(tagNumber)
		e.str(string(x))
	case []any:
		e.u8(tagList)
		e.uvar(uint64(len(x)))
		for _, el := range x {
			if err := e.valueDepth(el, depth+1); err != nil {
				return err
			}
		}
	case []string:
		e.u8(tagList)
		e.uvar(uint64(len(x)))
		for _, el := range x {
			e.u8(tagString)
			e.str(el)
		}
	case map[string]any:
		e.u8(tagMap)
		e.uvar(uint64(len(x)))
		for k, el := range x {
			e.str(k)
			if err := e.valueDepth(el, depth+1); err != nil {
				return err
			}
		}
	case map[string]string:
		e.u8(tagMap)
		e.uvar(uint64(len(x)))
		for k, el := range x {
			e.str(k)
			e.u8(tagString)
			e.str(el)
		}
	default:
		// Anything else crosses as its JSON, decoded back into the JSON shape.
		raw, err := json.Marshal(x)
		if err != nil {
			return fmt.Errorf("%w: cannot encode %T: %w", ErrProtocol, v, err)
		}
		back, err := decodeJSON(raw)
		if err != nil {
			return err
		}
		return e.valueDepth(back, depth)
	}
	return nil
}

func (e *enc) uintValue(x uint64) {
	if x <= math.MaxInt64 {
		e.u8(tagInt)
		e.svar(int64(x))
		return
	}
	e.u8(tagFloat)
	e.f64(float64(x))
}

func (d *dec) value() any { return d.valueDepth(0) }

func (d *dec) valueDepth(depth int) any {
	if depth > maxDepth {
		d.fail("value depth")
		return nil
	}
	switch d.u8() {
	case tagNil:
		return nil
	case tagFalse:
		return false
	case tagTrue:
		return true
	case tagInt:
		return d.svar()
	case tagFloat:
		return d.f64()
	case tagString:
		return d.str()
	case tagNumber:
		return json.Number(d.str())
	case tagList:
		n := d.count()
		out := make([]any, 0, n)
		for i := 0; i < n && d.err == nil; i++ {
			out = append(out, d.valueDepth(depth+1))
		}
		return out
	case tagMap:
		n := d.count()
		out := make(map[string]any, n)
		for i := 0; i < n && d.err == nil; i++ {
			k := d.str()
			out[k] = d.valueDepth(depth + 1)
		}
		return out
	default:
		d.fail("value tag")
		return nil
	}
}

// Error bits: the sentinels that keep errors.Is working across the process
// boundary.
var errBits = []error{
	registry.ErrStuck,
	registry.ErrNoData,
	registry.ErrUnknownOption,
	registry.ErrInvalidOption,
	context.DeadlineExceeded,
	context.Canceled,
	ErrKilled,
	ErrExited,
	registry.ErrNotSupported,
	registry.ErrUnknownModule,
	registry.ErrNotRunning,
}

// remoteError is an error from the other process: its text, and the
// sentinels it wrapped there.
type remoteError struct {
	msg     string
	wrapped []error
}

func (e *remoteError) Error() string   { return e.msg }
func (e *remoteError) Unwrap() []error { return e.wrapped }

func (e *enc) errorValue(err error) {
	var mask uint64
	for i, s := range errBits {
		if errors.Is(err, s) {
			mask |= 1 << i
		}
	}
	e.uvar(mask)
	e.str(err.Error())
}

func (d *dec) errorValue() error {
	mask := d.uvar()
	msg := d.str()
	if d.err != nil {
		return d.err
	}
	re := &remoteError{msg: msg}
	for i, s := range errBits {
		if mask&(1<<i) != 0 {
			re.wrapped = append(re.wrapped, s)
		}
	}
	return re
}

// deadline encodes how long the callee has: the time left on ctx, or 0.
func (e *enc) deadline(ctx context.Context) { e.deadlineGrace(ctx, 0) }

// deadlineGrace is deadline plus grace: the parent gives the child's code
// a little longer than its own deadline, so that the parent's kill, with
// its clear reason, comes first.
func (e *enc) deadlineGrace(ctx context.Context, grace time.Duration) {
	var left int64
	if dl, ok := ctx.Deadline(); ok {
		left = int64(time.Until(dl) + grace)
		if left <= 0 {
			left = 1
		}
	}
	e.svar(left)
}

// withDeadline applies an encoded deadline to ctx.
func withDeadline(ctx context.Context, left int64) (context.Context, context.CancelFunc) {
	if left <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, time.Duration(left))
}

func (e *enc) sample(s registry.Sample) {
	e.f64(s.T)
	e.f64(s.V)
	e.uvar(s.Count)
}

func (d *dec) sample() registry.Sample {
	return registry.Sample{T: d.f64(), V: d.f64(), Count: d.uvar()}
}

func (e *enc) events(evs []registry.Event) {
	e.uvar(uint64(len(evs)))
	for _, ev := range evs {
		e.str(ev.Kind)
		e.str(ev.ID)
		var ns int64
		if !ev.Queued.IsZero() {
			ns = ev.Queued.UnixNano()
		}
		e.svar(ns)
	}
}

func (d *dec) events() []registry.Event {
	n := d.count()
	out := make([]registry.Event, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		ev := registry.Event{Kind: d.str(), ID: d.str()}
		if ns := d.svar(); ns != 0 {
			ev.Queued = time.Unix(0, ns)
		}
		out = append(out, ev)
	}
	return out
}

func (e *enc) info(in registry.Info) error {
	e.str(in.Name)
	e.str(in.Kind)
	e.str(in.Version)
	e.strs(in.NotifyTypes)
	e.uvar(uint64(len(in.Options)))
	for _, o := range in.Options {
		e.str(o.Name)
		e.str(o.Type)
		for _, v := range []any{o.Default, o.Min, o.Max} {
			if err := e.value(v); err != nil {
				return fmt.Errorf("option %s: %w", o.Name, err)
			}
		}
		e.strs(o.Enum)
		e.str(o.Desc)
		e.boolean(o.Runtime)
	}
	e.uvar(uint64(len(in.Commands)))
	for _, c := range in.Commands {
		e.str(c.Cmd)
		e.str(c.Desc)
		e.str(c.Perm)
		e.boolean(c.Poll)
	}
	e.boolean(in.CanRun)
	e.str(in.CanRunError)
	e.boolean(in.AlwaysOn)
	e.boolean(in.StandbyOK)
	return nil
}

func (d *dec) info() registry.Info {
	var in registry.Info
	in.Name = d.str()
	in.Kind = d.str()
	in.Version = d.str()
	in.NotifyTypes = d.strs()
	n := d.count()
	for i := 0; i < n && d.err == nil; i++ {
		o := registry.Option{Name: d.str(), Type: d.str()}
		o.Default = d.value()
		o.Min = d.value()
		o.Max = d.value()
		o.Enum = d.strs()
		o.Desc = d.str()
		o.Runtime = d.boolean()
		in.Options = append(in.Options, o)
	}
	n = d.count()
	for i := 0; i < n && d.err == nil; i++ {
		in.Commands = append(in.Commands, registry.CommandDesc{Cmd: d.str(), Desc: d.str(), Perm: d.str(), Poll: d.boolean()})
	}
	in.CanRun = d.boolean()
	in.CanRunError = d.str()
	in.AlwaysOn = d.boolean()
	in.StandbyOK = d.boolean()
	return in
}
