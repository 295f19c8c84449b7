package plugins

import (
	"encoding/json"
	"fmt"

	"gomgr/registry"

	pb "gomgr/plugins/proto"
)

// jsonOrNil encodes v, or returns nil for a nil v (an absent field).
func jsonOrNil(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	return json.Marshal(v)
}

// decodeJSON decodes b into an any tree with json.Number turned into
// int64 where it fits and float64 otherwise, as registry.Value documents.
func decodeJSON(b []byte) (any, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	return v, nil
}

func optionsToPB(opts []registry.Option) ([]*pb.Option, error) {
	out := make([]*pb.Option, 0, len(opts))
	for _, o := range opts {
		d, err := jsonOrNil(o.Default)
		if err != nil {
			return nil, fmt.Errorf("option %s default: %w", o.Name, err)
		}
		mn, err := jsonOrNil(o.Min)
		if err != nil {
			return nil, fmt.Errorf("option %s min: %w", o.Name, err)
		}
		mx, err := jsonOrNil(o.Max)
		if err != nil {
			return nil, fmt.Errorf("option %s max: %w", o.Name, err)
		}
		out = append(out, &pb.Option{
			Name: o.Name, Type: o.Type, DefaultJson: d, MinJson: mn, MaxJson: mx,
			EnumAllowed: o.Enum, Desc: o.Desc, Runtime: o.Runtime,
		})
	}
	return out, nil
}

func optionsFromPB(opts []*pb.Option) ([]registry.Option, error) {
	out := make([]registry.Option, 0, len(opts))
	for _, o := range opts {
		d, err := decodeJSON(o.GetDefaultJson())
		if err != nil {
			return nil, fmt.Errorf("%w: option %q default: %w", ErrDeclare, o.GetName(), err)
		}
		mn, err := decodeJSON(o.GetMinJson())
		if err != nil {
			return nil, fmt.Errorf("%w: option %q min: %w", ErrDeclare, o.GetName(), err)
		}
		mx, err := decodeJSON(o.GetMaxJson())
		if err != nil {
			return nil, fmt.Errorf("%w: option %q max: %w", ErrDeclare, o.GetName(), err)
		}
		out = append(out, registry.Option{
			Name: o.GetName(), Type: o.GetType(), Default: d, Min: mn, Max: mx,
			Enum: o.GetEnumAllowed(), Desc: o.GetDesc(), Runtime: o.GetRuntime(),
		})
	}
	return out, nil
}

func commandsToPB(cmds []registry.CommandDesc) []*pb.CommandDesc {
	out := make([]*pb.CommandDesc, 0, len(cmds))
	for _, c := range cmds {
		out = append(out, &pb.CommandDesc{Cmd: c.Cmd, Desc: c.Desc, Perm: c.Perm})
	}
	return out
}

func commandsFromPB(cmds []*pb.CommandDesc) []registry.CommandDesc {
	out := make([]registry.CommandDesc, 0, len(cmds))
	for _, c := range cmds {
		out = append(out, registry.CommandDesc{Cmd: c.GetCmd(), Desc: c.GetDesc(), Perm: c.GetPerm()})
	}
	return out
}

// infoFromDeclare checks a declaration and turns it into registry.Info.
// file is the executable's base name: the declared name must match it so
// that `module enable <name>` and the directory listing agree.
func infoFromDeclare(d *pb.DeclareResponse, file string) (registry.Info, error) {
	if d.GetName() == "" {
		return registry.Info{}, fmt.Errorf("%w: %s declared an empty name", ErrDeclare, file)
	}
	if d.GetName() != file {
		return registry.Info{}, fmt.Errorf("%w: file %s declares the name %q (rename the file or the module)", ErrDeclare, file, d.GetName())
	}
	opts, err := optionsFromPB(d.GetOptions())
	if err != nil {
		return registry.Info{}, err
	}
	return registry.Info{
		Name:        d.GetName(),
		Kind:        Kind,
		Version:     d.GetVersion(),
		NotifyTypes: d.GetNotifyTypes(),
		Options:     opts,
		Commands:    commandsFromPB(d.GetCommands()),
		CanRun:      d.GetCanRun(),
		CanRunError: d.GetCanRunError(),
		StandbyOK:   d.GetStandbyOk(),
	}, nil
}
