package plugins

import (
	"context"
	"encoding/json"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"gomgr/registry"

	pb "gomgr/plugins/proto"
)

// hostServer serves one module's registry.Host to its plugin process. It
// runs on gRPC's goroutines; registry.Host is safe from any goroutine.
type hostServer struct {
	pb.UnimplementedHostServer
	h registry.Host
}

var _ pb.HostServer = (*hostServer)(nil)

// toStatus maps the registry's sentinels to codes the SDK maps back.
func toStatus(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, registry.ErrNoData), errors.Is(err, registry.ErrUnknownOption):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, registry.ErrInvalidOption):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	}
	return status.Error(codes.Internal, err.Error())
}

func marshalStatus(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return b, nil
}

func (s *hostServer) MgrID(context.Context, *pb.Empty) (*pb.MgrIDResponse, error) {
	return &pb.MgrIDResponse{Id: s.h.MgrID()}, nil
}

func (s *hostServer) Get(_ context.Context, r *pb.GetRequest) (*pb.GetResponse, error) {
	v, err := s.h.Get(r.GetName())
	if err != nil {
		return nil, toStatus(err)
	}
	if v == nil {
		return nil, toStatus(registry.ErrNoData)
	}
	if r.GetIfNotVersion() != 0 && r.GetIfNotVersion() == v.Version {
		return &pb.GetResponse{Version: v.Version, Unchanged: true}, nil
	}
	raw, err := v.JSON()
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &pb.GetResponse{Version: v.Version, Json: raw}, nil
}

func (s *hostServer) ListServers(context.Context, *pb.Empty) (*pb.JSONResponse, error) {
	b, err := marshalStatus(s.h.ListServers())
	if err != nil {
		return nil, err
	}
	return &pb.JSONResponse{Found: true, Json: b}, nil
}

func (s *hostServer) GetServer(_ context.Context, r *pb.GetServerRequest) (*pb.JSONResponse, error) {
	srv, ok := s.h.GetServer(r.GetHostname())
	if !ok {
		return &pb.JSONResponse{}, nil
	}
	b, err := marshalStatus(srv)
	if err != nil {
		return nil, err
	}
	return &pb.JSONResponse{Found: true, Json: b}, nil
}

func (s *hostServer) Metadata(_ context.Context, r *pb.DaemonRequest) (*pb.MetadataResponse, error) {
	md, ok := s.h.Metadata(r.GetSvcType(), r.GetSvcId())
	return &pb.MetadataResponse{Found: ok, Metadata: md}, nil
}

func (s *hostServer) Counter(_ context.Context, r *pb.CounterRequest) (*pb.CounterResponse, error) {
	samples := s.h.Counter(r.GetSvcType(), r.GetSvcId(), r.GetPath())
	out := make([]*pb.Sample, len(samples))
	for i, x := range samples {
		out[i] = &pb.Sample{T: x.T, V: x.V}
	}
	return &pb.CounterResponse{Samples: out}, nil
}

func (s *hostServer) Latest(_ context.Context, r *pb.CounterRequest) (*pb.LatestResponse, error) {
	x, ok := s.h.Latest(r.GetSvcType(), r.GetSvcId(), r.GetPath())
	if !ok {
		return &pb.LatestResponse{}, nil
	}
	return &pb.LatestResponse{Found: true, Sample: &pb.Sample{T: x.T, V: x.V}}, nil
}

func (s *hostServer) PerfSchema(_ context.Context, r *pb.DaemonRequest) (*pb.JSONResponse, error) {
	b, err := marshalStatus(s.h.PerfSchema(r.GetSvcType(), r.GetSvcId()))
	if err != nil {
		return nil, err
	}
	return &pb.JSONResponse{Found: true, Json: b}, nil
}

func (s *hostServer) ModuleOption(ctx context.Context, r *pb.KeyRequest) (*pb.JSONResponse, error) {
	v, err := s.h.ModuleOption(ctx, r.GetKey())
	if err != nil {
		return nil, toStatus(err)
	}
	b, err := marshalStatus(v)
	if err != nil {
		return nil, err
	}
	return &pb.JSONResponse{Found: true, Json: b}, nil
}

func (s *hostServer) SetModuleOption(ctx context.Context, r *pb.SetRequest) (*pb.Empty, error) {
	var v *string
	if !r.GetReset_() {
		x := r.GetValue()
		v = &x
	}
	return &pb.Empty{}, toStatus(s.h.SetModuleOption(ctx, r.GetKey(), v))
}

func (s *hostServer) StoreGet(ctx context.Context, r *pb.KeyRequest) (*pb.StoreGetResponse, error) {
	v, ok, err := s.h.StoreGet(ctx, r.GetKey())
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.StoreGetResponse{Found: ok, Value: v}, nil
}

func (s *hostServer) StoreSet(ctx context.Context, r *pb.SetRequest) (*pb.Empty, error) {
	var v *string
	if !r.GetReset_() {
		x := r.GetValue()
		v = &x
	}
	return &pb.Empty{}, toStatus(s.h.StoreSet(ctx, r.GetKey(), v))
}

func (s *hostServer) StorePrefix(ctx context.Context, r *pb.KeyRequest) (*pb.StorePrefixResponse, error) {
	m, err := s.h.StorePrefix(ctx, r.GetKey())
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.StorePrefixResponse{Values: m}, nil
}

func (s *hostServer) SetHealthChecks(_ context.Context, r *pb.HealthChecksRequest) (*pb.Empty, error) {
	var checks map[string]registry.HealthCheck
	if len(r.GetChecksJson()) > 0 {
		if err := json.Unmarshal(r.GetChecksJson(), &checks); err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "plugins: health checks: %v", err)
		}
	}
	s.h.SetHealthChecks(checks)
	return &pb.Empty{}, nil
}

func (s *hostServer) Log(_ context.Context, r *pb.LogRequest) (*pb.Empty, error) {
	s.h.Log(r.GetLevel(), r.GetMsg())
	return &pb.Empty{}, nil
}
