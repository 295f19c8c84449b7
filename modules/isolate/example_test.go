package isolate

import (
	"context"
	"fmt"
	"time"

	"gomgr/registry"
)

// exampleSource stands for the real engine (modules.NewSource): a Source
// with one module, "hello", whose notify does nothing.
type exampleSource struct{}

func (exampleSource) Kind() string            { return "example" }
func (exampleSource) Scan() ([]string, error) { return []string{"hello"}, nil }
func (exampleSource) Open(context.Context, string) (registry.Module, error) {
	return nil, fmt.Errorf("example: opened only in a child")
}

// ExampleNewSource wraps a Source so that each module runs in its own
// process. The program must call MaybeRunChild at the top of main, with a
// function that builds the same Source:
//
//	func main() {
//		if isolate.MaybeRunChild(func() registry.Source {
//			return modules.NewSource(modules.Config{Dirs: dirs})
//		}) {
//			return
//		}
//		...
//	}
//
// (This package's TestMain does so with an in-test Source.)
func ExampleNewSource() {
	src := NewSource(exampleSource{}, Config{
		MemoryLimitBytes: 512 << 20,
		Env:              []string{"GORACE=atexit_sleep_ms=0"},
	})
	names, _ := src.Scan()
	fmt.Println(src.Kind(), names)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// "ok" is a module of the test's child Source.
	mod, err := src.Open(ctx, "ok")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(mod.Info().Name, mod.Info().Version)
	_ = mod.Stop(ctx)
	fmt.Println("failed:", mod.Failed())
	// Output:
	// example [hello]
	// ok 1.0
	// failed: <nil>
}

// Module.Failed says why a module process ended, and calls past a deadline
// kill it.
func ExampleModule_Failed() {
	src := NewSource(exampleSource{}, Config{Env: []string{"GORACE=atexit_sleep_ms=0"}})
	ctx := context.Background()
	mod, err := src.Open(ctx, "ok")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer mod.Stop(ctx)
	_ = mod.Start(ctx, newFakeHost())
	nctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	err = mod.Notify(nctx, []registry.Event{{Kind: "spin"}}) // the test module loops forever
	fmt.Println(err)
	fmt.Println(mod.Failed())
	// Output:
	// isolate: ok: notify exceeded 200ms deadline; module process killed
	// notify exceeded 200ms deadline; module process killed
}
