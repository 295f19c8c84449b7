package modules

import "testing"

func TestSmoke(t *testing.T) {
	v, err := evalPy(t, `result = "{} {}".format(1, "a")`)
	t.Logf("%#v %v", v, err)
}
