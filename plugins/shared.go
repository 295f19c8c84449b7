package plugins

import (
	"context"
	"fmt"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pb "gomgr/plugins/proto"
)

// Handshake is the go-plugin handshake both sides use. The cookie only
// keeps a plugin binary from being run by hand by mistake; it is not a
// security measure (the pinned SHA-256 and mTLS are).
var Handshake = goplugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "GOMGR_PLUGIN_COOKIE",
	MagicCookieValue: "6f1c4f0e-gomgr-mgr-module-v1",
}

// pluginKey names the one plugin a process serves in go-plugin's PluginSet.
const pluginKey = "mgr_module"

// maxMsg bounds one gRPC message (a large osd_map's JSON).
const maxMsg = 256 << 20

// grpcPlugin glues the Plugin service into go-plugin. On the host side
// only GRPCClient is used; in the plugin process only GRPCServer.
type grpcPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	impl *pluginServer // plugin process only
}

func (p *grpcPlugin) GRPCServer(b *goplugin.GRPCBroker, s *grpc.Server) error {
	if p.impl == nil {
		return fmt.Errorf("plugins: GRPCServer called without an implementation")
	}
	p.impl.broker = b
	pb.RegisterPluginServer(s, p.impl)
	return nil
}

func (p *grpcPlugin) GRPCClient(_ context.Context, b *goplugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &rawClient{broker: b, client: pb.NewPluginClient(c)}, nil
}

// rawClient is what the host side gets from go-plugin's Dispense.
type rawClient struct {
	broker *goplugin.GRPCBroker
	client pb.PluginClient
}

var _ goplugin.GRPCPlugin = (*grpcPlugin)(nil)
