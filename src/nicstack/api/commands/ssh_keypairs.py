"""SSH key pair commands: registerSSHKeyPair, listSSHKeyPairs, deleteSSHKeyPair (deploy takes keypair/keypairs)."""

from __future__ import annotations

from typing import Any

from nicstack.api.context import Context
from nicstack.api.params import str_param, uuid_param
from nicstack.api.registry import command
from nicstack.api.replies import JsonObject, ListReply, ObjectReply, Reply, SuccessReply
from nicstack.api.schema import SUCCESS, kind
from nicstack.api.scope import OWNER, PAGING, owner_filter, page_of
from nicstack.api.views import wire_date
from nicstack.domain.ssh_keys import SshKeyPair
from nicstack.services import ssh_keypairs as service
from nicstack.services.ssh_keypairs import KeyPairFilter


def keypair_view(pair: SshKeyPair) -> JsonObject:
    return {
        "id": pair.uuid, "name": pair.name, "fingerprint": pair.fingerprint, "account": pair.owner.account_name,
        "domainid": pair.owner.domain_uuid, "domain": pair.owner.domain_name, "created": wire_date(pair.created),
    }


_OWNER = (str_param("account", "The owning account (admin), with domainid"),
          uuid_param("domainid", "The domain of the owning account"))


SSH_KEY_PAIR = kind("sshkeypair", {
    "id": "string",
    "name": "string",
    "fingerprint": "string",
    "account": "string",
    "domainid": "string",
    "domain": "string",
    "created": "date",
}, also=('keypair',))



@command(
    "registerSSHKeyPair",
    "Registers a public key under a name in the caller's (or an admin-named) account.",
    (
        str_param("name", "The key pair's name", required=True),
        str_param("publickey", "The OpenSSH public key ('<type> <base64> [comment]')", required=True, length=8192),
        *_OWNER,
    ),
    answers=SSH_KEY_PAIR,
)
def register_ssh_keypair(ctx: Context, args: dict[str, Any]) -> Reply:
    pair = service.register_ssh_keypair(ctx.uow, ctx.caller, name=args["name"], public_key=args["publickey"],
                                        account=args.get("account"), domain_uuid=args.get("domainid"))
    return ObjectReply("keypair", keypair_view(pair))


@command("deleteSSHKeyPair", "Deletes a key pair by name.",
         (str_param("name", "The key pair's name", required=True), *_OWNER), answers=SUCCESS)
def delete_ssh_keypair(ctx: Context, args: dict[str, Any]) -> Reply:
    service.delete_ssh_keypair(ctx.uow, ctx.caller, name=args["name"], account=args.get("account"),
                               domain_uuid=args.get("domainid"))
    return SuccessReply()


@command(
    "listSSHKeyPairs",
    "Lists the key pairs of the caller's account (or, for admins, of the accounts they name).",
    (uuid_param("id", "The key pair"), str_param("name", "The key pair's name"),
     str_param("fingerprint", "The key's fingerprint"), *OWNER, *PAGING),
    answers=SSH_KEY_PAIR,
)
def list_ssh_keypairs(ctx: Context, args: dict[str, Any]) -> Reply:
    wanted = KeyPairFilter(
        uuid=args.get("id"), name=args.get("name"), fingerprint=args.get("fingerprint"), keyword=args.get("keyword"),
        owner=owner_filter(args), page=page_of(args),
    )
    found, total = service.list_ssh_keypairs(ctx.uow, ctx.caller, wanted)
    return ListReply("sshkeypair", [keypair_view(p) for p in found], total)
