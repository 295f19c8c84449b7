package modules

import (
	"testing"

	"github.com/go-python/gpython/py"

	"gomgr/internal/pickle"
)

// TestRemoteValues: what crosses in a remote call keeps its Python types
// through a pickle: tuples stay tuples, bytes stay bytes.
func TestRemoteValues(t *testing.T) {
	in := py.Tuple{py.Bytes("x"), py.NewListFromItems([]py.Object{py.Int(1), py.Tuple{py.String("a")}}),
		py.StringDict{"f": py.Tuple{py.Float(1.5), py.None}}} // one key: a dict repr has no fixed order
	v, err := pyToPickle(in, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := pickle.Dumps(v)
	if err != nil {
		t.Fatal(err)
	}
	back, err := pickle.Loads(b)
	if err != nil {
		t.Fatal(err)
	}
	out, err := toPy(back)
	if err != nil {
		t.Fatal(err)
	}
	got, err := py.ReprAsString(out)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := py.ReprAsString(in)
	if got != want {
		t.Errorf("crossed as %s, want %s", got, want)
	}
}
