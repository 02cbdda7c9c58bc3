"""Identity commands: domains, accounts, users and their API keys."""

from __future__ import annotations

from typing import Any

from nicstack.api import views_world as views
from nicstack.api.context import Context
from nicstack.api.params import bool_param, int_param, str_param, uuid_param
from nicstack.api.registry import ADMINS, command
from nicstack.api.replies import ObjectReply, Reply
from nicstack.api.schema import kind
from nicstack.api.scope import OWNER, PAGING, owner_filter
from nicstack.api.views_world import ACCOUNT, DOMAIN, USER
from nicstack.domain.errors import ParameterError
from nicstack.domain.kinds import Role
from nicstack.services import identity
from nicstack.services.identity import AccountFilter, DomainFilter, NewAccount, UserFilter

_ROLE_TYPES = {"admin": Role.ROOT_ADMIN, "domainadmin": Role.DOMAIN_ADMIN, "user": Role.USER}
_NO_ACCOUNT = tuple(p for p in OWNER if p.name != "account")


def _role(args: dict[str, Any]) -> Role:
    if "accounttype" in args:
        return Role(args["accounttype"])
    if "roletype" in args:
        found = _ROLE_TYPES.get(args["roletype"].strip().lower())
        if found is None:
            raise ParameterError(f"Invalid value {args['roletype']!r} for roletype: use Admin, DomainAdmin or User")
        return found
    raise ParameterError("Either accounttype or roletype must be given")


USER_KEYS = kind("userkeys", {
    "apikey": "string",
    "secretkey": "string",
})



@command(
    "createDomain",
    "Creates a domain",
    (
        str_param("name", "Name of the domain", required=True),
        uuid_param("parentdomainid", "The parent domain (default: the caller's domain)"),
        str_param("networkdomain", "Network domain for the domain's networks (ignored)"),
    ),
    roles=ADMINS,
    answers=DOMAIN,
)
def create_domain(ctx: Context, args: dict[str, Any]) -> Reply:
    info = identity.create_domain(ctx.uow, ctx.caller, args["name"], args.get("parentdomainid"))
    return ObjectReply("domain", views.domain(info.domain, info.parent_name, info.has_child))


@command(
    "listDomains",
    "Lists domains and provides detailed information for listed domains",
    (
        uuid_param("id", "List domain by domain ID"),
        str_param("name", "List domain by domain name"),
        int_param("level", "List domains by domain level"),
        bool_param("listall", "True to list the whole subtree of the caller's domain"),
        bool_param("isrecursive", "With id, list the domain's subdomains too"),
        *PAGING,
    ),
    answers=DOMAIN,
)
def list_domains(ctx: Context, args: dict[str, Any]) -> Reply:
    wanted = DomainFilter(
        uuid=args.get("id"), subtree=bool(args.get("listall") or args.get("isrecursive")), name=args.get("name"),
        level=args.get("level"), keyword=args.get("keyword"),
    )
    found = identity.list_domains(ctx.uow, ctx.caller, wanted)
    return views.listing("domain", [views.domain(i.domain, i.parent_name, i.has_child) for i in found], args)


@command(
    "createAccount",
    "Creates an account and its first user",
    (
        int_param("accounttype", "0 user, 1 root admin, 2 domain admin", maximum=2),
        str_param("roletype", "Admin, DomainAdmin or User (instead of accounttype)"),
        str_param("email", "Email of the user", required=True),
        str_param("firstname", "First name of the user", required=True),
        str_param("lastname", "Last name of the user", required=True),
        str_param("password", "Clear text password of the user", required=True),
        str_param("username", "Unique username within the domain", required=True),
        str_param("account", "Name of the account (default: the username)"),
        uuid_param("domainid", "The domain of the account (default: the caller's)"),
        str_param("timezone", "Time zone of the user (ignored)"),
        str_param("networkdomain", "Network domain for the account's networks (ignored)"),
    ),
    roles=ADMINS,
    answers=ACCOUNT,
)
def create_account(ctx: Context, args: dict[str, Any]) -> Reply:
    spec = NewAccount(
        role=_role(args), username=args["username"], password=args["password"], email=args["email"],
        firstname=args["firstname"], lastname=args["lastname"], account=args.get("account"),
        domain_uuid=args.get("domainid"),
    )
    account, users = identity.create_account(ctx.uow, ctx.caller, spec)
    return ObjectReply("account", views.account(account, users))


@command(
    "listAccounts",
    "Lists accounts and provides detailed account information for listed accounts",
    (
        uuid_param("id", "List account by account ID"),
        str_param("name", "List account by account name"),
        int_param("accounttype", "List accounts by account type", maximum=2),
        str_param("state", "List accounts by state"),
        *_NO_ACCOUNT,
        *PAGING,
    ),
    answers=ACCOUNT,
)
def list_accounts(ctx: Context, args: dict[str, Any]) -> Reply:
    wanted = AccountFilter(
        uuid=args.get("id"), domain_uuid=args.get("domainid"), list_all=bool(args.get("listall")),
        name=args.get("name"), account_type=args.get("accounttype"), state=args.get("state"),
        keyword=args.get("keyword"),
    )
    found = identity.list_accounts(ctx.uow, ctx.caller, wanted)
    return views.listing("account", [views.account(a, users) for a, users in found], args)


@command(
    "listUsers",
    "Lists user accounts",
    (
        uuid_param("id", "List user by ID"),
        str_param("username", "List user by the username"),
        int_param("accounttype", "List users by account type", maximum=2),
        str_param("state", "List users by state"),
        *OWNER,
        *PAGING,
    ),
    answers=USER,
)
def list_users(ctx: Context, args: dict[str, Any]) -> Reply:
    wanted = UserFilter(
        owner=owner_filter(args), uuid=args.get("id"), username=args.get("username"),
        account_type=args.get("accounttype"), state=args.get("state"), keyword=args.get("keyword"),
    )
    found = identity.list_users(ctx.uow, ctx.caller, wanted)
    return views.listing("user", [views.user(u) for u in found], args)


@command(
    "registerUserKeys",
    "Generates a new API key and secret key for a user (the old ones stop working)",
    (uuid_param("id", "The user ID", required=True),),
    answers=USER_KEYS,
)
def register_user_keys(ctx: Context, args: dict[str, Any]) -> Reply:
    api_key, secret_key = identity.register_user_keys(ctx.uow, ctx.caller, args["id"])
    return ObjectReply("userkeys", {"apikey": api_key, "secretkey": secret_key})
