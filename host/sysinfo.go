package host

import (
	"bufio"
	"os"
	"runtime"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// cephVersion is the Ceph release whose protocols and module API gomgr
// speaks.
const cephVersion = "16.2.15"

// sysInfo is Ceph's collect_sys_info: the host's name, kernel, distro,
// CPU and memory, read once.
var sysInfo = sync.OnceValue(func() map[string]string {
	md := map[string]string{"arch": runtime.GOARCH, "os": "Linux"}
	if runtime.GOARCH == "amd64" {
		md["arch"] = "x86_64"
	}
	md["hostname"], _ = os.Hostname()
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		md["kernel_version"] = unix.ByteSliceToString(u.Release[:])
		md["kernel_description"] = unix.ByteSliceToString(u.Version[:])
	}
	for k, v := range keyValues("/etc/os-release", "=") {
		switch k {
		case "ID":
			md["distro"] = v
		case "PRETTY_NAME":
			md["distro_description"] = v
		case "VERSION_ID":
			md["distro_version"] = v
		}
	}
	if v, ok := keyValues("/proc/cpuinfo", ":")["model name"]; ok {
		md["cpu"] = v
	}
	mem := keyValues("/proc/meminfo", ":")
	md["mem_total_kb"] = strings.TrimSuffix(mem["MemTotal"], " kB")
	md["mem_swap_kb"] = strings.TrimSuffix(mem["SwapTotal"], " kB")
	return md
})

// keyValues reads "key<sep>value" lines, first occurrence of a key wins;
// quotes around values are dropped. A missing file gives nothing.
func keyValues(path, sep string) map[string]string {
	out := map[string]string{}
	f, err := os.Open(path)
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), sep)
		k, v = strings.TrimSpace(k), strings.Trim(strings.TrimSpace(v), `"`)
		if _, seen := out[k]; ok && !seen {
			out[k] = v
		}
	}
	return out
}
