"""The public face of software templates: actions and their context, the services pages use, workspace checks."""

from typing import TYPE_CHECKING

from callboard.core.lazy import lazy_face

if TYPE_CHECKING:
    from callboard.scaffolder.actions import ActionContext, ActionInput, CatalogAccess, NoOutput, ScaffolderAction
    from callboard.scaffolder.expressions import make_environment, parse_repo_url
    from callboard.scaffolder.secured import SecuredTasks
    from callboard.scaffolder.service import ScaffolderService
    from callboard.scaffolder.tasks import TaskService
    from callboard.scaffolder.templates import Template
    from callboard.scaffolder.workspace import check_tree, safe_child

__all__ = [
    "ActionContext",
    "ActionInput",
    "CatalogAccess",
    "NoOutput",
    "ScaffolderAction",
    "ScaffolderService",
    "SecuredTasks",
    "TaskService",
    "Template",
    "check_tree",
    "make_environment",
    "parse_repo_url",
    "safe_child",
]

__getattr__, __dir__ = lazy_face(__name__, __file__)
