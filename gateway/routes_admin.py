"""Operator pages under /admin (placeholder: being built)."""

from aiohttp import web

routes = web.RouteTableDef()
