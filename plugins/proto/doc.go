// Package pluginpb is the generated gRPC code of plugin.proto, the
// protocol between the gomgr manager and its Go plugin processes. Do not
// edit the .pb.go files: change plugin.proto and run gen.sh (`make proto`).
// Package gomgr/plugins owns how it is used (see its doc.go).
package pluginpb
