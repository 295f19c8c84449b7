package plugins

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"gomgr/registry"

	pb "gomgr/plugins/proto"
)

// FuzzDeclare feeds arbitrary DeclareResponse bytes (what a plugin sends)
// to the host's decoder: it must return an Info or an error, never panic.
func FuzzDeclare(f *testing.F) {
	s := newPluginServer(&testPlugin{name: "good"})
	d, _ := s.Declare(context.Background(), &pb.Empty{})
	seed, _ := proto.Marshal(d)
	f.Add(seed)
	f.Add([]byte{})
	bad, _ := proto.Marshal(&pb.DeclareResponse{Name: "x", Options: []*pb.Option{{Name: "o", DefaultJson: []byte("{")}}})
	f.Add(bad)
	f.Fuzz(func(t *testing.T, b []byte) {
		var d pb.DeclareResponse
		if err := proto.Unmarshal(b, &d); err != nil {
			return
		}
		info, err := infoFromDeclare(&d, d.GetName())
		if err != nil {
			return
		}
		if info.Name != d.GetName() || len(info.Options) != len(d.GetOptions()) || info.Kind != Kind {
			t.Fatalf("info %+v from %+v", info, &d)
		}
	})
}

// FuzzCommandArgs feeds arbitrary cmdmap JSON to the SDK's Command.
func FuzzCommandArgs(f *testing.F) {
	f.Add([]byte(`{"prefix":"test count"}`))
	f.Add([]byte(`{"prefix":`))
	f.Add([]byte(`[1,2]`))
	s := newPluginServer(echoPlugin{})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := s.Command(context.Background(), &pb.CommandRequest{ArgsJson: b})
		if err != nil {
			t.Fatal(err)
		}
		if r.GetRetval() != 0 && r.GetStderr() == "" {
			t.Fatalf("retval %d without a reason", r.GetRetval())
		}
	})
}

// FuzzLineWriter checks that plugin output split anywhere comes out as the
// same lines.
func FuzzLineWriter(f *testing.F) {
	f.Add([]byte("a\nbb\r\n\nccc"), uint8(3))
	f.Fuzz(func(t *testing.T, b []byte, split uint8) {
		var got []string
		w := &lineWriter{fn: func(l string) { got = append(got, l) }}
		step := int(split)%7 + 1
		for i := 0; i < len(b); i += step {
			_, _ = w.Write(b[i:min(i+step, len(b))])
		}
		lines := strings.Split(string(b), "\n")
		want := lines[:len(lines)-1] // the unterminated rest stays buffered
		for i := range want {
			want[i] = strings.TrimRight(want[i], "\r")
		}
		if len(got) != len(want) {
			t.Fatalf("got %d lines, want %d", len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("line %d = %q, want %q", i, got[i], want[i])
			}
		}
		if rest := b[bytes.LastIndexByte(b, '\n')+1:]; string(w.buf) != string(rest) {
			t.Fatalf("buffered %q, want %q", w.buf, rest)
		}
	})
}

func TestOptionsRoundTrip(t *testing.T) {
	for _, tc := range []registry.Option{
		{Name: "a", Type: "int", Default: int64(3), Min: int64(1), Max: int64(9)},
		{Name: "b", Type: "str", Default: "x", Enum: []string{"x", "y"}, Desc: "d", Runtime: true},
		{Name: "c", Type: "bool", Default: true},
		{Name: "d", Type: "float"},
	} {
		p, err := optionsToPB([]registry.Option{tc})
		if err != nil {
			t.Fatal(err)
		}
		got, err := optionsFromPB(p)
		if err != nil {
			t.Fatal(err)
		}
		// Numbers come back as float64 (JSON), the rest unchanged.
		if got[0].Name != tc.Name || got[0].Type != tc.Type || got[0].Desc != tc.Desc || got[0].Runtime != tc.Runtime ||
			len(got[0].Enum) != len(tc.Enum) || (tc.Default == nil) != (got[0].Default == nil) {
			t.Fatalf("%+v -> %+v", tc, got[0])
		}
	}
}

// echoPlugin answers every command with its prefix.
type echoPlugin struct{}

func (echoPlugin) Declare() Declaration { return Declaration{Name: "echo"} }
func (echoPlugin) Init(*Host) error     { return nil }
func (echoPlugin) HandleCommand(_ context.Context, c registry.Command) (registry.CommandResult, error) {
	if _, ok := c.Args["prefix"].(string); !ok {
		return registry.CommandResult{}, fmt.Errorf("no prefix")
	}
	return registry.CommandResult{Stdout: c.Args["prefix"].(string)}, nil
}
