package isolate_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"gomgr/modules"
	"gomgr/modules/isolate"
	"gomgr/registry"
)

// An embedding program runs each Python module in a child process that is
// the program itself: MaybeRunChild, first thing in main, turns such a
// child into the module's server and exits it; in the parent it returns
// false at once. The child builds the same Source as the parent, from the
// environment the parent gives it in Config.Env.
func ExampleMaybeRunChild() {
	// func main() {
	if isolate.MaybeRunChild(func() registry.Source {
		return modules.NewSource(modules.Config{Dirs: filepath.SplitList(os.Getenv("APP_MODULE_DIRS"))})
	}) {
		return
	}

	// The application, as usual: flags, then the sources.
	dirs := []string{"/usr/share/app/modules"}
	src := isolate.NewSource(modules.NewSource(modules.Config{Dirs: dirs}), isolate.Config{
		Env:              []string{"APP_MODULE_DIRS=" + strings.Join(dirs, string(os.PathListSeparator))},
		MemoryLimitBytes: 256 << 20,
	})
	reg, err := registry.New(registry.Config{Sources: []registry.Source{src}})
	if err != nil {
		panic(err)
	}
	defer reg.Close(context.Background())
	// reg.Load, reg.Enable, reg.NotifyAll... as with any Source.
}
