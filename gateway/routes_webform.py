"""Web form routes (placeholder: being built)."""

from aiohttp import web

routes = web.RouteTableDef()
file_routes = web.RouteTableDef()
