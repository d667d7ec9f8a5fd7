"""Commands for accounts: allocating agents and their clients."""

from __future__ import annotations

import argparse

from .common import Commands, registry_of


def cmd_agent_add(args: argparse.Namespace) -> int:
    with registry_of(args) as reg:
        agent = reg.add_agent(
            args.symbol,
            name=args.name,
            password=args.password,
            namespaces=args.namespace,
            doi_prefixes=args.doi_prefix or [],
            quota=args.quota,
            ror=args.ror,
        )
    print(
        f"agent {agent.symbol} added: namespaces {', '.join(agent.namespaces)}"
        + (f"; DOI prefixes {', '.join(agent.doi_prefixes)}" if agent.doi_prefixes else "")
    )
    return 0


def cmd_agent_list(args: argparse.Namespace) -> int:
    with registry_of(args) as reg:
        for a in reg.accounts.agents():
            print(
                f"{a.symbol}\t{a.name}\tnamespaces={','.join(a.namespaces)}\tdoi={','.join(a.doi_prefixes)}"
                f"\tquota={a.quota}"
            )
            for c in reg.accounts.clients(a.symbol):
                print(
                    f"  {c.symbol}\t{c.name}\tnamespaces={','.join(c.namespaces)}\tdomains={','.join(c.domains)}"
                    f"\tquota={c.quota}"
                )
    return 0


def cmd_client_add(args: argparse.Namespace) -> int:
    with registry_of(args) as reg:
        client = reg.add_client(
            args.symbol,
            password=args.password,
            namespaces=args.namespace,
            name=args.name,
            doi_prefixes=args.doi_prefix or [],
            domains=args.domain or [],
            quota=args.quota,
        )
    print(f"client {client.symbol} added: namespaces {', '.join(client.namespaces)}")
    return 0


def add_commands(commands: Commands) -> None:
    agent = commands.group("agent", "allocating agents", "agent_cmd")
    p = commands.add("add", cmd_agent_add, "add an allocating agent", agent)
    p.add_argument("symbol")
    p.add_argument("--name", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--namespace", action="append", required=True, help="e.g. IEXYZ or 10273/IEXYZ; repeatable")
    p.add_argument("--doi-prefix", action="append", help="10.NNNN; repeatable")
    p.add_argument("--quota", type=int, default=-1, help="distinct IGSNs (-1 = unlimited)")
    p.add_argument("--ror", help="ROR IRI of the organisation")
    commands.add("list", cmd_agent_list, "list agents and their clients", agent)

    client = commands.group("client", "clients (datacentres)", "client_cmd")
    p = commands.add("add", cmd_client_add, "add a client of an agent", client)
    p.add_argument("symbol", help="AGENT.CLIENT")
    p.add_argument("--password", required=True)
    p.add_argument("--name")
    p.add_argument("--namespace", action="append", required=True)
    p.add_argument("--doi-prefix", action="append")
    p.add_argument("--domain", action="append", help="allowed landing-page domain; repeatable")
    p.add_argument("--quota", type=int, default=-1)
