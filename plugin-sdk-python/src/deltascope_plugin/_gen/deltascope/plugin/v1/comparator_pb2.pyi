from deltascope_plugin._gen.deltascope.changeset.v1 import changeset_pb2 as _changeset_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ReplyBound(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REPLY_BOUND_UNSPECIFIED: _ClassVar[ReplyBound]
    REPLY_BOUND_MAX_NODE_DEPTH: _ClassVar[ReplyBound]
    REPLY_BOUND_MAX_DETAILS_DEPTH: _ClassVar[ReplyBound]
    REPLY_BOUND_MAX_TAGS_PER_NODE: _ClassVar[ReplyBound]
    REPLY_BOUND_MAX_REPLY_BYTES: _ClassVar[ReplyBound]

class ProtocolVersion(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROTOCOL_VERSION_UNSPECIFIED: _ClassVar[ProtocolVersion]
    PROTOCOL_VERSION_1: _ClassVar[ProtocolVersion]

class Capability(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CAPABILITY_UNSPECIFIED: _ClassVar[Capability]
    CAPABILITY_COMPARE_PIPE: _ClassVar[Capability]

class Scope(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SCOPE_UNSPECIFIED: _ClassVar[Scope]
    SCOPE_FILES: _ClassVar[Scope]
    SCOPE_CONTAINERS: _ClassVar[Scope]
    SCOPE_ANY: _ClassVar[Scope]
REPLY_BOUND_UNSPECIFIED: ReplyBound
REPLY_BOUND_MAX_NODE_DEPTH: ReplyBound
REPLY_BOUND_MAX_DETAILS_DEPTH: ReplyBound
REPLY_BOUND_MAX_TAGS_PER_NODE: ReplyBound
REPLY_BOUND_MAX_REPLY_BYTES: ReplyBound
PROTOCOL_VERSION_UNSPECIFIED: ProtocolVersion
PROTOCOL_VERSION_1: ProtocolVersion
CAPABILITY_UNSPECIFIED: Capability
CAPABILITY_COMPARE_PIPE: Capability
SCOPE_UNSPECIFIED: Scope
SCOPE_FILES: Scope
SCOPE_CONTAINERS: Scope
SCOPE_ANY: Scope

class DescribeRequest(_message.Message):
    __slots__ = ("host_protocol_versions",)
    HOST_PROTOCOL_VERSIONS_FIELD_NUMBER: _ClassVar[int]
    host_protocol_versions: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, host_protocol_versions: _Optional[_Iterable[int]] = ...) -> None: ...

class DescribeResponse(_message.Message):
    __slots__ = ("protocol_version", "name", "version", "comparators", "capabilities")
    PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    COMPARATORS_FIELD_NUMBER: _ClassVar[int]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    protocol_version: int
    name: str
    version: str
    comparators: _containers.RepeatedCompositeFieldContainer[ComparatorInfo]
    capabilities: _containers.RepeatedScalarFieldContainer[Capability]
    def __init__(self, protocol_version: _Optional[int] = ..., name: _Optional[str] = ..., version: _Optional[str] = ..., comparators: _Optional[_Iterable[_Union[ComparatorInfo, _Mapping]]] = ..., capabilities: _Optional[_Iterable[_Union[Capability, str]]] = ...) -> None: ...

class ComparatorInfo(_message.Message):
    __slots__ = ("name", "extensions", "media_types", "scope", "handles_identical")
    NAME_FIELD_NUMBER: _ClassVar[int]
    EXTENSIONS_FIELD_NUMBER: _ClassVar[int]
    MEDIA_TYPES_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    HANDLES_IDENTICAL_FIELD_NUMBER: _ClassVar[int]
    name: str
    extensions: _containers.RepeatedScalarFieldContainer[str]
    media_types: _containers.RepeatedScalarFieldContainer[str]
    scope: Scope
    handles_identical: bool
    def __init__(self, name: _Optional[str] = ..., extensions: _Optional[_Iterable[str]] = ..., media_types: _Optional[_Iterable[str]] = ..., scope: _Optional[_Union[Scope, str]] = ..., handles_identical: _Optional[bool] = ...) -> None: ...

class Item(_message.Message):
    __slots__ = ("logical_path", "path", "size", "content_hash", "media_type", "kind")
    LOGICAL_PATH_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_HASH_FIELD_NUMBER: _ClassVar[int]
    MEDIA_TYPE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    logical_path: str
    path: str
    size: int
    content_hash: str
    media_type: str
    kind: str
    def __init__(self, logical_path: _Optional[str] = ..., path: _Optional[str] = ..., size: _Optional[int] = ..., content_hash: _Optional[str] = ..., media_type: _Optional[str] = ..., kind: _Optional[str] = ...) -> None: ...

class CompareRequest(_message.Message):
    __slots__ = ("comparator", "path", "left", "right", "identical", "options", "output_dir", "max_examples")
    class OptionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    COMPARATOR_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    LEFT_FIELD_NUMBER: _ClassVar[int]
    RIGHT_FIELD_NUMBER: _ClassVar[int]
    IDENTICAL_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_DIR_FIELD_NUMBER: _ClassVar[int]
    MAX_EXAMPLES_FIELD_NUMBER: _ClassVar[int]
    comparator: str
    path: str
    left: Item
    right: Item
    identical: bool
    options: _containers.ScalarMap[str, str]
    output_dir: str
    max_examples: int
    def __init__(self, comparator: _Optional[str] = ..., path: _Optional[str] = ..., left: _Optional[_Union[Item, _Mapping]] = ..., right: _Optional[_Union[Item, _Mapping]] = ..., identical: _Optional[bool] = ..., options: _Optional[_Mapping[str, str]] = ..., output_dir: _Optional[str] = ..., max_examples: _Optional[int] = ...) -> None: ...

class ContentChunk(_message.Message):
    __slots__ = ("side", "data", "last")
    class Side(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        SIDE_UNSPECIFIED: _ClassVar[ContentChunk.Side]
        SIDE_LEFT: _ClassVar[ContentChunk.Side]
        SIDE_RIGHT: _ClassVar[ContentChunk.Side]
    SIDE_UNSPECIFIED: ContentChunk.Side
    SIDE_LEFT: ContentChunk.Side
    SIDE_RIGHT: ContentChunk.Side
    SIDE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    LAST_FIELD_NUMBER: _ClassVar[int]
    side: ContentChunk.Side
    data: bytes
    last: bool
    def __init__(self, side: _Optional[_Union[ContentChunk.Side, str]] = ..., data: _Optional[bytes] = ..., last: _Optional[bool] = ...) -> None: ...

class CompareStreamMessage(_message.Message):
    __slots__ = ("request", "chunk")
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    request: CompareRequest
    chunk: ContentChunk
    def __init__(self, request: _Optional[_Union[CompareRequest, _Mapping]] = ..., chunk: _Optional[_Union[ContentChunk, _Mapping]] = ...) -> None: ...

class CompareResponse(_message.Message):
    __slots__ = ("outcome", "node", "children")
    class Outcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        OUTCOME_UNSPECIFIED: _ClassVar[CompareResponse.Outcome]
        OUTCOME_IDENTICAL: _ClassVar[CompareResponse.Outcome]
        OUTCOME_LEAF: _ClassVar[CompareResponse.Outcome]
        OUTCOME_EXPAND: _ClassVar[CompareResponse.Outcome]
        OUTCOME_SKIP: _ClassVar[CompareResponse.Outcome]
    OUTCOME_UNSPECIFIED: CompareResponse.Outcome
    OUTCOME_IDENTICAL: CompareResponse.Outcome
    OUTCOME_LEAF: CompareResponse.Outcome
    OUTCOME_EXPAND: CompareResponse.Outcome
    OUTCOME_SKIP: CompareResponse.Outcome
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    CHILDREN_FIELD_NUMBER: _ClassVar[int]
    outcome: CompareResponse.Outcome
    node: _changeset_pb2.DiffNode
    children: _containers.RepeatedCompositeFieldContainer[ChildPair]
    def __init__(self, outcome: _Optional[_Union[CompareResponse.Outcome, str]] = ..., node: _Optional[_Union[_changeset_pb2.DiffNode, _Mapping]] = ..., children: _Optional[_Iterable[_Union[ChildPair, _Mapping]]] = ...) -> None: ...

class ChildPair(_message.Message):
    __slots__ = ("name", "left_path", "right_path")
    NAME_FIELD_NUMBER: _ClassVar[int]
    LEFT_PATH_FIELD_NUMBER: _ClassVar[int]
    RIGHT_PATH_FIELD_NUMBER: _ClassVar[int]
    name: str
    left_path: str
    right_path: str
    def __init__(self, name: _Optional[str] = ..., left_path: _Optional[str] = ..., right_path: _Optional[str] = ...) -> None: ...

class PipeCall(_message.Message):
    __slots__ = ("id", "request")
    ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    id: int
    request: CompareRequest
    def __init__(self, id: _Optional[int] = ..., request: _Optional[_Union[CompareRequest, _Mapping]] = ...) -> None: ...

class PipeReply(_message.Message):
    __slots__ = ("id", "response", "code", "message")
    ID_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    id: int
    response: CompareResponse
    code: int
    message: str
    def __init__(self, id: _Optional[int] = ..., response: _Optional[_Union[CompareResponse, _Mapping]] = ..., code: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...

class ComparePipeRequest(_message.Message):
    __slots__ = ("calls",)
    CALLS_FIELD_NUMBER: _ClassVar[int]
    calls: _containers.RepeatedCompositeFieldContainer[PipeCall]
    def __init__(self, calls: _Optional[_Iterable[_Union[PipeCall, _Mapping]]] = ...) -> None: ...

class ComparePipeResponse(_message.Message):
    __slots__ = ("replies",)
    REPLIES_FIELD_NUMBER: _ClassVar[int]
    replies: _containers.RepeatedCompositeFieldContainer[PipeReply]
    def __init__(self, replies: _Optional[_Iterable[_Union[PipeReply, _Mapping]]] = ...) -> None: ...

class ShutdownRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ShutdownResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
