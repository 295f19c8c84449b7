package registry

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ParseOption parses s as a value of option o, as Ceph's config does, and
// checks it against o's min, max and enum. The result is typed by o.Type:
// str (and Ceph's addr, uuid) -> string; int, uint, secs (seconds), size
// (bytes) -> int64; float -> float64; bool -> bool. Errors wrap
// ErrInvalidOption.
func ParseOption(o Option, s string) (any, error) {
	s = strings.TrimSpace(s)
	v, err := parseTyped(o.Type, s)
	if err != nil {
		return nil, fmt.Errorf("%w: option %q: %q is not a valid %s: %v", ErrInvalidOption, o.Name, s, typeName(o.Type), err)
	}
	if len(o.Enum) > 0 && !slices.Contains(o.Enum, s) && !slices.Contains(o.Enum, fmt.Sprint(v)) {
		return nil, fmt.Errorf("%w: option %q: %q is not one of %s", ErrInvalidOption, o.Name, s, strings.Join(o.Enum, ", "))
	}
	if err := checkBound(o, v, o.Min, false); err != nil {
		return nil, err
	}
	if err := checkBound(o, v, o.Max, true); err != nil {
		return nil, err
	}
	return v, nil
}

// CoerceOption converts a declared value (a default, min or max: a string,
// number or bool as a module declares it) to o's type and checks it like
// ParseOption.
func CoerceOption(o Option, v any) (any, error) {
	s, err := formatDecl(o.Type, v)
	if err != nil {
		return nil, fmt.Errorf("%w: option %q: %v", ErrInvalidOption, o.Name, err)
	}
	return ParseOption(o, s)
}

func typeName(t string) string {
	if t == "" {
		return "str"
	}
	return t
}

// formatDecl turns a declared value into the string ParseOption reads.
func formatDecl(typ string, v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case int:
		return strconv.FormatInt(int64(x), 10), nil
	case int32:
		return strconv.FormatInt(int64(x), 10), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case uint:
		return strconv.FormatUint(uint64(x), 10), nil
	case uint32:
		return strconv.FormatUint(uint64(x), 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case float32:
		return formatDecl(typ, float64(x))
	case float64:
		if isIntType(typ) && x == math.Trunc(x) && math.Abs(x) < 1<<63 {
			return strconv.FormatInt(int64(x), 10), nil
		}
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case time.Duration:
		return strconv.FormatInt(int64(x/time.Second), 10), nil
	default:
		return "", fmt.Errorf("unsupported declared value %v (%T)", v, v)
	}
}

func isIntType(t string) bool {
	switch t {
	case "int", "uint", "secs", "size":
		return true
	}
	return false
}

func parseTyped(typ, s string) (any, error) {
	switch typ {
	case "", "str", "addr", "uuid":
		return s, nil
	case "int":
		return strconv.ParseInt(s, 10, 64)
	case "uint":
		n, err := strconv.ParseInt(s, 10, 64)
		if err == nil && n < 0 {
			err = fmt.Errorf("negative")
		}
		return n, err
	case "float":
		f, err := strconv.ParseFloat(s, 64)
		if err == nil && (math.IsNaN(f) || math.IsInf(f, 0)) {
			err = fmt.Errorf("not a finite number")
		}
		return f, err
	case "bool":
		switch strings.ToLower(s) {
		case "true", "yes", "on", "1":
			return true, nil
		case "false", "no", "off", "0":
			return false, nil
		}
		return nil, fmt.Errorf("want true/false, yes/no, on/off or 1/0")
	case "secs":
		return parseSecs(s)
	case "size":
		return parseSize(s)
	default:
		return nil, fmt.Errorf("unknown option type %q", typ)
	}
}

// parseSecs reads a count of seconds with an optional unit, as Ceph's
// secs options: "30", "30s", "5m", "2h", "1d", "1w", or a Go duration
// such as "1h30m" in whole seconds.
func parseSecs(s string) (int64, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 {
			return 0, fmt.Errorf("negative")
		}
		return n, nil
	}
	i := len(s)
	for i > 0 && (s[i-1] < '0' || s[i-1] > '9') {
		i--
	}
	units := map[string]int64{
		"s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
		"m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
		"h": 3600, "hr": 3600, "hour": 3600, "hours": 3600,
		"d": 86400, "day": 86400, "days": 86400,
		"w": 604800, "week": 604800, "weeks": 604800,
	}
	if mul, ok := units[strings.ToLower(strings.TrimSpace(s[i:]))]; ok && i > 0 {
		if n, err := strconv.ParseInt(strings.TrimSpace(s[:i]), 10, 64); err == nil {
			if n < 0 {
				return 0, fmt.Errorf("negative")
			}
			if n > math.MaxInt64/mul {
				return 0, fmt.Errorf("out of range")
			}
			return n * mul, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || d%time.Second != 0 {
		return 0, fmt.Errorf("want seconds, optionally with a unit (s, m, h, d, w)")
	}
	return int64(d / time.Second), nil
}

// parseSize reads a byte count with an optional IEC unit, as Ceph's size
// options: "4096", "4K", "4Ki", "4KiB", "10M", "1G", "2T", "1P", "1E".
func parseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSuffix(t, "B")
	t = strings.TrimSuffix(t, "I")
	var shift uint
	if t != "" {
		if i := strings.IndexByte("KMGTPE", t[len(t)-1]); i >= 0 {
			shift = 10 * uint(i+1)
			t = t[:len(t)-1]
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("want a non-negative byte count, optionally with K, M, G, T, P or E")
	}
	if shift > 0 && n > math.MaxInt64>>shift {
		return 0, fmt.Errorf("out of range")
	}
	return n << shift, nil
}

// checkBound compares v with a declared min (isMax false) or max.
func checkBound(o Option, v, bound any, isMax bool) error {
	if bound == nil {
		return nil
	}
	which := "min"
	if isMax {
		which = "max"
	}
	s, err := formatDecl(o.Type, bound)
	if err != nil {
		return fmt.Errorf("%w: option %q: bad %s in declaration: %v", ErrInvalidOption, o.Name, which, err)
	}
	b, err := parseTyped(o.Type, strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("%w: option %q: bad %s %q in declaration: %v", ErrInvalidOption, o.Name, which, s, err)
	}
	var cmp int
	switch x := v.(type) {
	case int64:
		y, ok := b.(int64)
		if !ok {
			return nil
		}
		cmp = compare(x, y)
	case float64:
		y, ok := b.(float64)
		if !ok {
			return nil
		}
		cmp = compare(x, y)
	default: // bool and str options have no bounds
		return nil
	}
	if (!isMax && cmp < 0) || (isMax && cmp > 0) {
		rel := "below the minimum"
		if isMax {
			rel = "above the maximum"
		}
		return fmt.Errorf("%w: option %q: %v is %s %s", ErrInvalidOption, o.Name, v, rel, s)
	}
	return nil
}

func compare[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
