package registry

import (
	"fmt"
	"strconv"
	"strings"
)

// ParamDesc is one named parameter of a command signature
// ("name=format,type=CephChoices,strings=plain|json,req=false").
type ParamDesc struct {
	Name     string
	Type     string   // CephString, CephInt, CephFloat, CephBool, CephChoices, ...
	Strings  []string // for CephChoices
	Required bool
	N        bool // n=N: takes every remaining word
}

// ParseSignature splits a COMMANDS signature into its prefix and params.
func ParseSignature(sig string) (prefix string, params []ParamDesc) {
	var words []string
	for _, f := range strings.Fields(sig) {
		if !strings.Contains(f, "=") {
			if params == nil {
				words = append(words, f)
			}
			continue
		}
		p := ParamDesc{Required: true, Type: "CephString"}
		for _, kv := range strings.Split(f, ",") {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "name":
				p.Name = v
			case "type":
				p.Type = v
			case "strings":
				p.Strings = strings.Split(v, "|")
			case "req":
				p.Required = v != "false"
			case "n":
				p.N = v == "N"
			}
		}
		params = append(params, p)
	}
	return strings.Join(words, " "), params
}

// ParseArgs matches command-line words against signatures, as Ceph's CLI
// does: the longest matching prefix wins, then the remaining words fill
// its params in order ("name=value" and "--flag" also work). It returns the
// cmdmap to send ({"prefix": ..., params...}) or an error naming what is
// wrong. ok is false when no signature's prefix matches.
func ParseArgs(sigs []string, words []string) (args map[string]any, ok bool, err error) {
	best, bestLen := "", -1
	for _, sig := range sigs {
		prefix, _ := ParseSignature(sig)
		pw := strings.Fields(prefix)
		if len(pw) > len(words) || len(pw) <= bestLen {
			continue
		}
		if strings.Join(words[:len(pw)], " ") == prefix {
			best, bestLen = sig, len(pw)
		}
	}
	if bestLen < 0 {
		return nil, false, nil
	}
	prefix, params := ParseSignature(best)
	args = map[string]any{"prefix": prefix}
	rest := words[bestLen:]
	next := 0
	for i := 0; i < len(rest); i++ {
		w := rest[i]
		if k, v, isKV := strings.Cut(w, "="); isKV && paramNamed(params, k) != nil {
			if err := setParam(args, *paramNamed(params, k), v); err != nil {
				return nil, true, err
			}
			continue
		}
		if strings.HasPrefix(w, "--") {
			if p := paramNamed(params, strings.TrimPrefix(w, "--")); p != nil {
				if p.Type == "CephBool" || (p.Type == "CephChoices" && len(p.Strings) == 1) {
					args[p.Name] = true
					if p.Type == "CephChoices" {
						args[p.Name] = p.Strings[0]
					}
					continue
				}
				if i+1 >= len(rest) {
					return nil, true, fmt.Errorf("%w: %s needs a value", ErrBadArgs, w)
				}
				i++
				if err := setParam(args, *p, rest[i]); err != nil {
					return nil, true, err
				}
				continue
			}
		}
		for next < len(params) && args[params[next].Name] != nil {
			next++
		}
		if next >= len(params) {
			return nil, true, fmt.Errorf("%w: unexpected argument %q for %q", ErrBadArgs, w, prefix)
		}
		p := params[next]
		if p.N {
			list := append([]any(nil), anySlice(rest[i:])...)
			args[p.Name] = list
			break
		}
		if err := setParam(args, p, w); err != nil {
			return nil, true, err
		}
		next++
	}
	for _, p := range params {
		if p.Required && args[p.Name] == nil {
			return nil, true, fmt.Errorf("%w: missing required argument %q for %q", ErrBadArgs, p.Name, prefix)
		}
	}
	return args, true, nil
}

func anySlice(ws []string) []any {
	out := make([]any, len(ws))
	for i, w := range ws {
		out[i] = w
	}
	return out
}

func paramNamed(params []ParamDesc, name string) *ParamDesc {
	for i := range params {
		if params[i].Name == name {
			return &params[i]
		}
	}
	return nil
}

func setParam(args map[string]any, p ParamDesc, v string) error {
	switch p.Type {
	case "CephInt":
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("%w: %s=%q is not an integer", ErrBadArgs, p.Name, v)
		}
		args[p.Name] = n
	case "CephFloat":
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("%w: %s=%q is not a number", ErrBadArgs, p.Name, v)
		}
		args[p.Name] = f
	case "CephBool":
		b, err := strconv.ParseBool(strings.TrimPrefix(v, "--"))
		if err != nil {
			return fmt.Errorf("%w: %s=%q is not true or false", ErrBadArgs, p.Name, v)
		}
		args[p.Name] = b
	case "CephChoices":
		for _, s := range p.Strings {
			if s == v {
				args[p.Name] = v
				return nil
			}
		}
		return fmt.Errorf("%w: %s=%q is not one of %s", ErrBadArgs, p.Name, v, strings.Join(p.Strings, "|"))
	default:
		args[p.Name] = v
	}
	return nil
}
