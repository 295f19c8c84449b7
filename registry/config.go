package registry

// KindConfigNotify is the event that calls a module's config_notify(): its
// options may have changed. As in Ceph, every running module gets it,
// whatever its NOTIFY_TYPES.
const KindConfigNotify = "config_notify"
