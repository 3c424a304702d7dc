// deltascope-plugin-toml: a deltascope comparator plugin in Go, written from
// docs/plugin-protocol.md without an SDK. It compares TOML files structurally.
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	changesetpb "github.com/deltascope/deltascope/examples/plugins/toml-go/gen/changesetv1"
	pluginpb "github.com/deltascope/deltascope/examples/plugins/toml-go/gen/pluginv1"
)

const (
	cookie      = "d3lt4sc0pe-plugin-v1"
	serviceName = "deltascope.plugin.v1.Comparator"
	maxFile     = 64 << 20 // a TOML file larger than this is not a config file
)

type server struct {
	pluginpb.UnimplementedComparatorServer
	stop func()
}

func (s *server) Describe(_ context.Context, req *pluginpb.DescribeRequest) (*pluginpb.DescribeResponse, error) {
	return &pluginpb.DescribeResponse{
		ProtocolVersion: 1, Name: "toml-go", Version: "0.1.0",
		Comparators: []*pluginpb.ComparatorInfo{{Name: "toml", Extensions: []string{".toml"}}},
	}, nil
}

func (s *server) Compare(_ context.Context, req *pluginpb.CompareRequest) (*pluginpb.CompareResponse, error) {
	read := func(item *pluginpb.Item) ([]byte, error) {
		if item == nil || item.GetPath() == "" {
			return nil, nil
		}
		return os.ReadFile(item.GetPath())
	}
	left, err := read(req.GetLeft())
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "left: %v", err)
	}
	right, err := read(req.GetRight())
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "right: %v", err)
	}
	return compare(req, left, right)
}

// CompareStream: the request, then each present side's chunks.
func (s *server) CompareStream(stream pluginpb.Comparator_CompareStreamServer) error {
	var req *pluginpb.CompareRequest
	var sides [3][]byte
	for {
		msg, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if r := msg.GetRequest(); r != nil {
			req = r
		} else if c := msg.GetChunk(); c != nil {
			side := int(c.GetSide())
			if side < 1 || side > 2 || len(sides[side])+len(c.GetData()) > maxFile {
				return status.Error(codes.InvalidArgument, "bad or oversized chunk")
			}
			sides[side] = append(sides[side], c.GetData()...)
		}
	}
	if req == nil {
		return status.Error(codes.InvalidArgument, "no request")
	}
	resp, err := compare(req, sides[1], sides[2])
	if err != nil {
		return err
	}
	return stream.SendAndClose(resp)
}

func present(item *pluginpb.Item) bool { return item != nil && item.GetKind() != "" }

func compare(req *pluginpb.CompareRequest, left, right []byte) (*pluginpb.CompareResponse, error) {
	node := &changesetpb.DiffNode{Action: "modify", ItemType: "toml", Path: req.GetPath()}
	parse := func(b []byte, ok bool) (map[string]any, error) {
		if !ok {
			return map[string]any{}, nil
		}
		return Parse(b)
	}
	before, errL := parse(left, present(req.GetLeft()))
	after, errR := parse(right, present(req.GetRight()))
	if errL != nil || errR != nil {
		// Not valid TOML: let the next comparator (text) try.
		return &pluginpb.CompareResponse{Outcome: pluginpb.CompareResponse_OUTCOME_SKIP}, nil
	}
	changes := Diff(before, after)
	switch {
	case !present(req.GetLeft()):
		node.Action = "add"
	case !present(req.GetRight()):
		node.Action = "remove"
	case len(changes) == 0:
		node.Action = "modify"
		node.Summary = "Formatting changed (settings unchanged)"
		node.Tags = []string{"format-only"}
		return &pluginpb.CompareResponse{Outcome: pluginpb.CompareResponse_OUTCOME_LEAF, Node: node}, nil
	}
	node.Summary = Summary(changes)
	var keys []any
	for i, c := range changes {
		if i == int(max(req.GetMaxExamples(), 5)) {
			break
		}
		keys = append(keys, c.Key)
	}
	details, err := structpb.NewStruct(map[string]any{"changed_keys": keys, "change_count": len(changes)})
	if err == nil {
		node.Details = details
	}
	return &pluginpb.CompareResponse{Outcome: pluginpb.CompareResponse_OUTCOME_LEAF, Node: node}, nil
}

// Shutdown replies first; GracefulStop runs in a goroutine (inside the handler it would wait for
// this very call).
func (s *server) Shutdown(context.Context, *pluginpb.ShutdownRequest) (*pluginpb.ShutdownResponse, error) {
	go s.stop()
	return &pluginpb.ShutdownResponse{}, nil
}

// A panic in a handler would kill the process: turn it into an error for that call only.
func recovered(err *error) {
	if r := recover(); r != nil {
		*err = status.Errorf(codes.Internal, "panic: %v", r)
	}
}

func unaryRecover(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (resp any, err error) {
	defer recovered(&err)
	return h(ctx, req)
}

func streamRecover(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) (err error) {
	defer recovered(&err)
	return h(srv, ss)
}

// listenAddress maps DELTASCOPE_PLUGIN_LISTEN (unix:///abs/path or host:port) to a listener.
func listenAddress(listen string) (network, address string, err error) {
	for _, prefix := range []string{"unix://", "unix:"} {
		if rest, ok := strings.CutPrefix(listen, prefix); ok && strings.HasPrefix(rest, "/") {
			return "unix", rest, nil
		}
	}
	if _, port, e := net.SplitHostPort(listen); e == nil && port != "" && !strings.Contains(listen, "/") {
		return "tcp", listen, nil
	}
	return "", "", fmt.Errorf("DELTASCOPE_PLUGIN_LISTEN %q must be unix:///absolute/path or host:port", listen)
}

func run() int {
	spawned := os.Getenv("DELTASCOPE_PLUGIN_MAGIC_COOKIE") == cookie
	listen := ""
	if !spawned {
		listen = os.Getenv("DELTASCOPE_PLUGIN_LISTEN")
		if listen == "" {
			fmt.Fprintln(os.Stderr, "This is a deltascope plugin; it is started by deltascope, not by hand")
			return 1
		}
	}
	network, address := "unix", os.Getenv("DELTASCOPE_PLUGIN_SOCKET")
	if listen != "" {
		var err error
		if network, address, err = listenAddress(listen); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
	} else {
		ok := false
		for _, v := range strings.Split(os.Getenv("DELTASCOPE_PLUGIN_PROTOCOL_VERSIONS"), ",") {
			ok = ok || strings.TrimSpace(v) == "1"
		}
		if !ok || address == "" {
			fmt.Fprintln(os.Stderr, "deltascope plugin: the host does not speak protocol 1 or gave no socket")
			return 1
		}
	}
	if network == "unix" {
		if fi, err := os.Lstat(address); err == nil && fi.Mode()&os.ModeSocket != 0 {
			os.Remove(address) // a stale socket
		}
	}
	lis, err := net.Listen(network, address)
	if err != nil {
		fmt.Fprintln(os.Stderr, "deltascope plugin: cannot listen:", err)
		return 1
	}
	s := grpc.NewServer(grpc.UnaryInterceptor(unaryRecover), grpc.StreamInterceptor(streamRecover))
	hs := health.NewServer()
	hs.SetServingStatus(serviceName, healthpb.HealthCheckResponse_SERVING)
	stop := func() { hs.Shutdown(); s.GracefulStop() }
	pluginpb.RegisterComparatorServer(s, &server{stop: stop})
	healthpb.RegisterHealthServer(s, hs)

	if listen == "" {
		hand := os.NewFile(3, "handshake")
		fmt.Fprintf(hand, "deltascope-plugin|1|unix|%s|grpc\n", address)
		hand.Close()
	} else {
		fmt.Fprintf(os.Stderr, "deltascope plugin: listening on %s (attached mode)\n", listen)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer cancel()
	go func() {
		<-ctx.Done()
		stop()
	}()
	if err := s.Serve(lis); err != nil {
		fmt.Fprintln(os.Stderr, "deltascope plugin:", err)
		return 1
	}
	if network == "unix" && listen != "" {
		os.Remove(address)
	}
	return 0
}

func main() { os.Exit(run()) }
