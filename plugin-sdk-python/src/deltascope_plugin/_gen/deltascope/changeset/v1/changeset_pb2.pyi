from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Action(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACTION_UNSPECIFIED: _ClassVar[Action]
    ACTION_ADD: _ClassVar[Action]
    ACTION_REMOVE: _ClassVar[Action]
    ACTION_MODIFY: _ClassVar[Action]
    ACTION_MOVE: _ClassVar[Action]
    ACTION_COPY: _ClassVar[Action]
    ACTION_REORDER: _ClassVar[Action]

class Severity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SEVERITY_UNSPECIFIED: _ClassVar[Severity]
    SEVERITY_INFO: _ClassVar[Severity]
    SEVERITY_WARNING: _ClassVar[Severity]
    SEVERITY_ERROR: _ClassVar[Severity]
ACTION_UNSPECIFIED: Action
ACTION_ADD: Action
ACTION_REMOVE: Action
ACTION_MODIFY: Action
ACTION_MOVE: Action
ACTION_COPY: Action
ACTION_REORDER: Action
SEVERITY_UNSPECIFIED: Severity
SEVERITY_INFO: Severity
SEVERITY_WARNING: Severity
SEVERITY_ERROR: Severity

class Changeset(_message.Message):
    __slots__ = ("from_snapshot", "to_snapshot", "root", "diagnostics")
    FROM_SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    TO_SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    ROOT_FIELD_NUMBER: _ClassVar[int]
    DIAGNOSTICS_FIELD_NUMBER: _ClassVar[int]
    from_snapshot: str
    to_snapshot: str
    root: DiffNode
    diagnostics: _containers.RepeatedCompositeFieldContainer[Diagnostic]
    def __init__(self, from_snapshot: _Optional[str] = ..., to_snapshot: _Optional[str] = ..., root: _Optional[_Union[DiffNode, _Mapping]] = ..., diagnostics: _Optional[_Iterable[_Union[Diagnostic, _Mapping]]] = ...) -> None: ...

class DiffNode(_message.Message):
    __slots__ = ("action", "item_type", "path", "source_path", "summary", "tags", "details", "children", "comparator")
    ACTION_FIELD_NUMBER: _ClassVar[int]
    ITEM_TYPE_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    SOURCE_PATH_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    CHILDREN_FIELD_NUMBER: _ClassVar[int]
    COMPARATOR_FIELD_NUMBER: _ClassVar[int]
    action: str
    item_type: str
    path: str
    source_path: str
    summary: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    details: _struct_pb2.Struct
    children: _containers.RepeatedCompositeFieldContainer[DiffNode]
    comparator: str
    def __init__(self, action: _Optional[str] = ..., item_type: _Optional[str] = ..., path: _Optional[str] = ..., source_path: _Optional[str] = ..., summary: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ..., details: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., children: _Optional[_Iterable[_Union[DiffNode, _Mapping]]] = ..., comparator: _Optional[str] = ...) -> None: ...

class Diagnostic(_message.Message):
    __slots__ = ("severity", "code", "message", "path")
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    severity: Severity
    code: str
    message: str
    path: str
    def __init__(self, severity: _Optional[_Union[Severity, str]] = ..., code: _Optional[str] = ..., message: _Optional[str] = ..., path: _Optional[str] = ...) -> None: ...

class ChangesetList(_message.Message):
    __slots__ = ("changesets",)
    CHANGESETS_FIELD_NUMBER: _ClassVar[int]
    changesets: _containers.RepeatedCompositeFieldContainer[Changeset]
    def __init__(self, changesets: _Optional[_Iterable[_Union[Changeset, _Mapping]]] = ...) -> None: ...
