package host

import "errors"

var (
	// ErrUnknownDaemon is a report from a daemon that never opened a session.
	ErrUnknownDaemon = errors.New("host: report from unknown daemon")
	// ErrReportMismatch is a report whose values do not match its schema.
	ErrReportMismatch = errors.New("host: report values do not match declared counters")
	// ErrBadPerfQuery is an OSD perf query that Ceph's
	// ceph_add_osd_perf_query would refuse.
	ErrBadPerfQuery = errors.New("host: invalid osd perf query")
)

var (
	// ErrBadDaemonName is an MMgrOpen without a daemon name or type.
	ErrBadDaemonName = errors.New("host: bad daemon name")
	// ErrNameInUse: another live mgr has this daemon's name (gomgr's
	// mon refuses the second one's beacons; it stops).
	ErrNameInUse = errors.New("host: mgr name in use")
	// ErrMonCommand is a mon command that failed.
	ErrMonCommand = errors.New("host: mon command failed")
	// ErrMgrUnreachable is a mgr command whose session closed before a
	// reply came: the mgr is gone (a failover is under way) or refused it.
	ErrMgrUnreachable = errors.New("host: the mgr closed or refused the connection")
	// ErrDaemonUnreachable is a command to an OSD whose session closed
	// before a reply came.
	ErrDaemonUnreachable = errors.New("host: the daemon closed or refused the connection")
)

// Unexported: the mgr recovers from these itself by asking the mon for a
// full osdmap.
var (
	errOSDMapGap = errors.New("host: osdmap incremental does not follow the cached epoch")
	errOSDMapBad = errors.New("host: osdmap incremental malformed")
)

// Ceph's command return codes (negative errno), as the mgr answers them.
const (
	codeENOENT     = -2
	codeEIO        = -5
	codeENXIO      = -6
	codeEACCES     = -13
	codeEINVAL     = -22
	codeEOPNOTSUPP = -95
)
