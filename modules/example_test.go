package modules_test

import (
	"context"
	"fmt"
	"slices"
	"time"

	"gomgr/modules"
)

// A Source finds module directories and opens one: the import runs and
// the declaration is read, nothing starts until the registry calls Start.
func ExampleNewSource() {
	src := modules.NewSource(modules.Config{Dirs: []string{"../examples/modules"}})
	names, err := src.Scan()
	if err != nil {
		panic(err)
	}
	fmt.Println(src.Kind(), slices.Contains(names, "alerts"))

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := src.Open(ctx, "alerts")
	if err != nil {
		panic(err)
	}
	defer m.Stop(ctx)
	info := m.Info()
	fmt.Println(info.Name, info.NotifyTypes, info.CanRun)
	for _, o := range info.Options {
		fmt.Printf("%s %s default=%v min=%v max=%v enum=%v\n", o.Name, o.Type, o.Default, o.Min, o.Max, o.Enum)
	}
	fmt.Println(info.Commands[0].Cmd)
	// Output:
	// python true
	// alerts [osd_map] true
	// osd_down_threshold int default=1 min=0 max=10000 enum=[]
	// severity str default=error min=<nil> max=<nil> enum=[warning error]
	// alerts status
}
