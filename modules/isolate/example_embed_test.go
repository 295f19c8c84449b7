package isolate_test

import (
	"context"
	"os"
	"strings"

	"gomgr/modules"
	"gomgr/modules/isolate"
	"gomgr/registry"
)

// An embedding program runs each Python module in a child process that is
// the program itself: MaybeRunChild, first thing in main, turns such a
// child into the module's server and exits it; in the parent it returns
// false at once. The child rebuilds the same Source, so its configuration
// travels in Config.Env.
func ExampleMaybeRunChild() {
	pythonSource := func() registry.Source {
		return modules.NewSource(modules.Config{Dirs: strings.Split(os.Getenv("APP_MODULE_DIRS"), ":")})
	}
	if isolate.MaybeRunChild(pythonSource) { // in main, before flags or anything else
		return
	}

	dirs := "/usr/share/app/modules"
	os.Setenv("APP_MODULE_DIRS", dirs) // the parent's own Source reads it too
	src := isolate.NewSource(pythonSource(), isolate.Config{
		Env:              []string{"APP_MODULE_DIRS=" + dirs},
		MemoryLimitBytes: 256 << 20,
	})
	reg, err := registry.New(registry.Config{Sources: []registry.Source{src}})
	if err != nil {
		panic(err)
	}
	defer reg.Close(context.Background())
	// ... reg.Load, reg.Enable, reg.NotifyAll as with any Source.
}
